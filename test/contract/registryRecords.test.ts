import { describe, expect, it } from 'vitest';
import { ImportOptions, Metrics, registryCalls } from '../../electron/contract/registry';
import { formatZod } from '../../electron/services/errors';

// JSON.parse (the CLI, the bridge, a config file) makes "__proto__" an ordinary own key.
const parsed = (json: string): unknown => JSON.parse(json);

describe('metrics and config records refuse reserved keys', () => {
  it('refuses __proto__, constructor and prototype in metrics, naming the key (was silently stored as {})', () => {
    for (const k of ['__proto__', 'constructor', 'prototype']) {
      const r = Metrics.safeParse(parsed(`{"${k}": 1, "acc": 0.9}`));
      expect(r.success).toBe(false);
      expect(formatZod(r.error!)).toContain(`the key "${k}" is not allowed`);
    }
  });

  it('refuses them in import options (metrics and config) and in registry.annotate', () => {
    const m = ImportOptions.safeParse({ path: '/x', metrics: parsed('{"__proto__": 1}') });
    expect(m.success).toBe(false);
    expect(formatZod(m.error!)).toMatch(/^metrics\.__proto__: the key "__proto__" is not allowed/);
    const c = ImportOptions.safeParse({ path: '/x', config: parsed('{"prototype": {"a": 1}}') });
    expect(formatZod(c.error!)).toMatch(/config\.prototype: the key "prototype" is not allowed/);
    const nested = ImportOptions.safeParse({ path: '/x', config: parsed('{"model": {"layers": [{"__proto__": {"x": 1}}]}}') });
    expect(formatZod(nested.error!)).toMatch(/config\.model\.layers\.0\.__proto__: the key "__proto__" is not allowed/);
    const a = registryCalls['registry.annotate'].input.safeParse({ name: 'm', version: 1, metrics: parsed('{"constructor": 2}') });
    expect(a.success).toBe(false);
  });

  it('still accepts ordinary records unchanged', () => {
    expect(Metrics.parse(parsed('{"acc": 0.9, "f1": 0.8}'))).toEqual({ acc: 0.9, f1: 0.8 });
    expect(ImportOptions.parse({ path: '/x', config: parsed('{"model": {"constructor_name": "x", "layers": [1, 2]}}') }).config).toEqual({ model: { constructor_name: 'x', layers: [1, 2] } });
  });
});
