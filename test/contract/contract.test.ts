// The contract is the single source of wire types for IPC, the bridge, the CLI and the renderer:
// these tests hold its rules (names, validation, defaults) without any service behind it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract, EventSchema, isMethod, type Method } from '../../electron/contract/index';
import { ImportOptions, Metrics, ModelName, Tag } from '../../electron/contract/registry';

const methods = Object.keys(contract) as Method[];

describe('contract', () => {
  it('names every call area.verb and gives each a zod input and output', () => {
    expect(methods.length).toBeGreaterThan(30);
    for (const m of methods) {
      expect(m).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
      expect(contract[m].input).toBeInstanceOf(z.ZodType);
      expect(contract[m].output).toBeInstanceOf(z.ZodType);
    }
  });

  it('isMethod never takes inherited names for calls (a crafted method name reaches no prototype)', () => {
    for (const m of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', '']) expect(isMethod(m)).toBe(false);
    expect(isMethod('registry.import')).toBe(true);
  });

  it('rejects a non-object input for every call that takes an object', () => {
    const objectCalls = methods.filter((m) => contract[m].input instanceof z.ZodObject);
    expect(objectCalls.length).toBeGreaterThan(20);
    for (const m of objectCalls) {
      expect(contract[m].input.safeParse(42).success, m).toBe(false);
      expect(contract[m].input.safeParse('x').success, m).toBe(false);
    }
  });

  it('model names are what a shell user can type; tags are normalised', () => {
    for (const ok of ['bert-base', 'Llama 3.1 8B', 'a', 'x_y+z.v2']) expect(ModelName.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', ' ', '-rf', '../etc', 'a/b', 'a;b', 'x'.repeat(129), '$(id)']) expect(ModelName.safeParse(bad).success, bad).toBe(false);
    expect(Tag.parse('  LLM ')).toBe('llm');
    expect(Tag.safeParse('has space').success).toBe(false);
  });

  it('metrics are finite numbers', () => {
    expect(Metrics.parse({ accuracy: 0.91, loss: 1 })).toEqual({ accuracy: 0.91, loss: 1 });
    for (const v of [Number.NaN, Infinity, -Infinity, '0.9', null]) expect(Metrics.safeParse({ a: v }).success, String(v)).toBe(false);
  });

  it('import options fill their defaults and refuse unknown enum values with the field named', () => {
    expect(ImportOptions.parse({ path: '/m.gguf' })).toMatchObject({ path: '/m.gguf', newVersion: false, inPlace: false, tags: [] });
    const r = ImportOptions.safeParse({ path: '/m', framework: 'tensorflow.js', tags: new Array(65).fill('t') });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['framework', 'tags']));
  });

  it('events are a closed union: a job event must carry a whole job', () => {
    expect(EventSchema.safeParse({ type: 'registry.changed', modelId: 3 }).success).toBe(true);
    expect(EventSchema.parse({ type: 'stream', streamId: 's', chunk: 'hi' })).toMatchObject({ done: false });
    expect(EventSchema.safeParse({ type: 'job', job: { id: 'x' } }).success).toBe(false);
    expect(EventSchema.safeParse({ type: 'shell', cmd: 'id' }).success).toBe(false);
  });
});
