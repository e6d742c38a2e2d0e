import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFolder } from '../../../electron/services/fs/listFolder';
import { chatTemplates, classifyJson, escapesFolder, summarizeConfig } from '../../../electron/services/formats/hf';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { getCorpus } from '../../fixtures/corpus/index';

let root: string;
beforeAll(async () => {
  root = (await getCorpus()).root;
});

describe('hugging face files and folders', () => {
  it('classifies JSON files by content', () => {
    expect(classifyJson({ model_type: 'llama' }, 'x.json')).toBe('hf-config');
    expect(classifyJson({ weight_map: {} }, 'x.json')).toBe('hf-index');
    expect(classifyJson({ chat_template: 'x' }, 'x.json')).toBe('hf-tokenizer');
    expect(classifyJson({ model: { type: 'BPE' }, added_tokens: [] }, 'x.json')).toBe('hf-tokenizer');
    expect(classifyJson({ learner: {}, version: [2, 0, 0] }, 'x.json')).toBe('xgboost');
    expect(classifyJson([1], 'x.json')).toBe('json');
  });

  it('summarises config and chat templates', () => {
    expect(summarizeConfig({ model_type: 'llama', max_position_embeddings: 4096, secret: 1 })).toEqual({ model_type: 'llama', max_position_embeddings: 4096, contextLength: 4096 });
    expect(chatTemplates({ chat_template: [{ name: 'default', template: 'a' }, { name: 'rag', template: 'b' }] })).toEqual({ default: 'a', rag: 'b' });
  });

  it('lists folders in name order with every file size, without following links', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-list-'));
    try {
      // More files than one stat batch (64), sizes all different, plus a nested folder and a link.
      for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(3, '0')}.bin`), Buffer.alloc(i));
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'a.txt'), 'abc');
      fs.symlinkSync('/etc', path.join(dir, 'link'));
      const es = await listFolder(dir);
      expect(es.map((e) => e.rel)).toEqual([...Array.from({ length: 150 }, (_, i) => `f${String(i).padStart(3, '0')}.bin`), 'link', 'sub', 'sub/a.txt']);
      expect(es.filter((e) => e.kind === 'file').map((e) => e.size)).toEqual([...Array.from({ length: 150 }, (_, i) => i), 3]);
      expect(es.find((e) => e.rel === 'link')!.kind).toBe('symlink');
      expect(await listFolder(dir, 10)).toHaveLength(10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows which paths leave a folder', () => {
    expect(escapesFolder('model-00001.safetensors')).toBeNull();
    expect(escapesFolder('sub/../x.bin')).toBeNull();
    expect(escapesFolder('../x')).toMatch(/climbs/);
    expect(escapesFolder('a/../../x')).toMatch(/climbs/);
    expect(escapesFolder('/etc/passwd')).toMatch(/absolute/);
    expect(escapesFolder('C:\\Windows\\x')).toMatch(/absolute/);
    expect(escapesFolder('..\\..\\x')).toMatch(/climbs/);
  });

  it('inspects a model folder: config, tokenizer, shards, file formats', async () => {
    const r = await inspectPath(path.join(root, 'benign/hf_model'));
    expect(r).toMatchObject({
      format: 'hf-folder',
      config: { model_type: 'llama', architectures: ['LlamaForCausalLM'], contextLength: 2048 },
      tokenizer: { tokenizerClass: 'PreTrainedTokenizerFast' },
      shardIndexes: { 'model.safetensors.index.json': { shardCount: 2, tensorCount: 2 } },
      weightFormats: ['safetensors'],
    });
    expect((r.files as Array<{ path: string; format: string }>).find((f) => f.path === 'tokenizer.json')!.format).toBe('hf-tokenizer');
  });

  it('shows chat templates saved as files', async () => {
    const r = await inspectPath(path.join(root, 'malicious/hf_additional_template_file'));
    expect(Object.keys(r.chatTemplateFiles as object).sort()).toEqual(['additional_chat_templates/rag.jinja', 'chat_template.jinja']);
    expect((r.chatTemplateFiles as Record<string, string>)['additional_chat_templates/rag.jinja']).toContain('__subclasses__');
  });

  it('inspects a SavedModel folder', async () => {
    expect(await inspectPath(path.join(root, 'benign/savedmodel'))).toMatchObject({ format: 'tf-savedmodel', hasVariables: true, savedModel: { schemaVersion: 1 } });
  });
});
