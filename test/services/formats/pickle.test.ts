import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { analyzePickle, dtypeItemSize, sweepGlobals } from '../../../electron/services/formats/pickle/analyze';
import { classifyImport, pickleFindings } from '../../../electron/services/formats/pickle/rules';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const S = (s: string): string => '\x8c' + String.fromCharCode(s.length) + s;
const analyze = (buf: Buffer, opts = {}) => analyzePickle(new BufferSource('t.pkl', buf), opts);

describe('pickle analyser', () => {
  it('names tensors of old-style state dicts: OrderedDict([[key, tensor], …]) as older torch wrote them', async () => {
    // The layout of the real lpips .pth weights on PyPI (written by pickle protocol 2 with fake torch classes).
    const hex = '800263636f6c6c656374696f6e730a4f726465726564446963740a71005d7101285d710228580a0000006c696e2e776569676874710363746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71042828580700000073746f72616765710563746f7263680a466c6f617453746f726167650a71065801000000317107580300000063707571084b40747109514b004b014b4086710a4b014b0186710b894e74710c52710d655d710e2858050000006c696e2e62710f6804282868056806580100000032711068084b40747111514b004b408571124b01857113894e74711452711565658571165271172e';
    const a = await analyze(Buffer.from(hex, 'hex'), { torch: true });
    expect(a.damage).toBeNull();
    expect(a.tensors.map((x) => [x.name, x.shape])).toEqual([['lin.weight', [1, 64]], ['lin.b', [64]]]);
  });

  it('tracks STACK_GLOBAL operands through the memo', async () => {
    const a = await analyze(b('\x80\x04' + S('os') + '\x94' + S('system') + '\x94' + '00' + 'h\x00h\x01\x93' + S('id') + '\x85R.'));
    expect(a.globals).toMatchObject([{ module: 'os', name: 'system', opcode: 'STACK_GLOBAL', calls: [{ opcode: 'REDUCE', args: '("id",)' }] }]);
    expect(a.damage).toBeNull();
  });

  it('tracks protocol 0 PUT/GET and INST/OBJ/NEWOBJ/NEWOBJ_EX call sites', async () => {
    const inst = await analyze(b("(S'x'\nios\nsystem\n."));
    expect(inst.globals[0]).toMatchObject({ module: 'os', name: 'system', opcode: 'INST', calls: [{ opcode: 'INST' }] });
    const obj = await analyze(b("(cos\nsystem\nS'x'\no."));
    expect(obj.globals[0]!.calls[0]!.opcode).toBe('OBJ');
    const nx = await analyze(b('\x80\x04' + S('subprocess') + S('Popen') + '\x93)}\x92.'));
    expect(nx.globals[0]!.calls[0]!.opcode).toBe('NEWOBJ_EX');
    const memo = await analyze(b("cos\nsystem\np7\n0g7\n(S'id'\ntR."));
    expect(memo.globals[0]!.calls).toHaveLength(1);
  });

  it('reports EXT codes, dynamic STACK_GLOBAL, BUILD on globals and indirect calls', async () => {
    const kinds = async (s: string): Promise<string[]> => (await analyze(b(s))).events.map((e) => e.kind);
    expect(await kinds('\x80\x02\x82\x05)R.')).toEqual(['extension-code']);
    expect(await kinds('\x80\x04' + S('builtins') + S('str') + '\x93' + S('os') + '\x85R' + S('system') + '\x93.')).toEqual(['dynamic-global']);
    expect(await kinds('\x80\x02cos\npath\n}b.')).toEqual(['build-on-global']);
    expect(await kinds('\x80\x02cbuiltins\ngetattr\ncos\npath\nS\'join\'\n\x86R)R.')).toEqual(['indirect-call']);
  });

  it('walks several pickles in one stream and flags trailing data', async () => {
    const a = await analyze(b('\x80\x02K\x01.\x80\x02cos\nsystem\n.'));
    expect(a.streams).toHaveLength(2);
    expect(a.globals[0]!.pickle).toBe(1);
    const t = await analyze(b('\x80\x02K\x01.\xff\xfe junk'));
    expect(t.trailing).toEqual({ offset: 5, length: 7 });
  });

  it('reports damage with what was found before it, and sweeps the rest', async () => {
    const a = await analyze(b('\x80\x02cos\nsystem\n\xff' + 'csubprocess\nPopen\n'));
    expect(a.globals.map((g) => g.name)).toEqual(['system']);
    expect(a.damage).toMatchObject({ offset: 13, message: expect.stringMatching(/invalid opcode 0xff at offset 13/) });
    expect(a.sweptGlobals).toEqual([{ module: 'subprocess', name: 'Popen', offset: 14 }]);
    const trunc = await analyze(b('\x80\x02X\x00\x00\x00\x10ab'));
    expect(trunc.damage!.message).toMatch(/declares 268435456 bytes but only 2 remain/);
    expect((await analyze(b(')0.'))).damage!.message).toMatch(/stack underflow/);
    expect((await analyze(b('h\x05.'))).damage!.message).toMatch(/memo key 5 not found/);
    expect((await analyze(b('\x80\x09.'))).damage!.message).toMatch(/unsupported pickle protocol 9/);
  });

  it('never allocates from declared sizes and steps over big payloads', async () => {
    // BINBYTES8 declaring 2^60 bytes: refused without allocating
    const a = await analyze(b('\x80\x04\x8e' + '\x00\x00\x00\x00\x00\x00\x00\x10' + 'abc.'));
    expect(a.damage!.message).toMatch(/declares .* bytes but only 4 remain/);
    // a 5 MB string is skipped, only a prefix kept
    const big = Buffer.concat([b('\x80\x04X'), Buffer.from([0x40, 0x4b, 0x4c, 0x00]), Buffer.alloc(5_000_000, 0x61), b('\x94.')]);
    expect((await analyze(big)).damage).toBeNull();
  });

  it('enforces stack, memo and value limits', async () => {
    const deep = b('(' + ']'.repeat(200) + '.');
    expect((await analyze(deep, { limits: { maxStack: 100 } })).damage!.message).toMatch(/stack deeper than 100/);
    const memo = b('\x80\x04' + ']\x94'.repeat(50) + '.');
    const m = await analyze(memo, { limits: { maxMemo: 10 } });
    expect(m.limits[0]).toMatch(/memo larger than 10/);
    expect(m.damage).toBeNull();
  });

  it('names torch tensors from state-dict keys and persistent ids', async () => {
    const pid = "(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQ";
    const s = `\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n(${pid}K\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtRu.`;
    const a = await analyze(b(s), { torch: true });
    expect(a.damage).toBeNull();
    expect(a.tensors).toEqual([{ name: 'w', storageType: 'torch.FloatStorage', storageKey: '0', location: 'cpu', storageNumel: 6, offset: 0, shape: [2, 3] }]);
    expect(a.events).toEqual([]);
  });

  it('knows numpy dtype sizes', () => {
    expect(dtypeItemSize('<f8')).toBe(8);
    expect(dtypeItemSize('|u1')).toBe(1);
    expect(dtypeItemSize('<U5')).toBe(20);
    expect(dtypeItemSize('|O')).toBe('object');
    expect(dtypeItemSize('weird')).toBeNull();
  });

  it('sweeps protocol 4 import pairs', () => {
    expect(sweepGlobals(b('xx' + S('os') + '\x94' + S('system') + '\x94\x93'), 100)).toEqual([{ module: 'os', name: 'system', offset: 102 }]);
  });
});

describe('import classification', () => {
  it('allows only data rebuilders silently', () => {
    for (const [m, n] of [['torch._utils', '_rebuild_tensor_v2'], ['collections', 'OrderedDict'], ['numpy.core.multiarray', '_reconstruct'], ['numpy', 'float32'], ['__builtin__', 'set'], ['copy_reg', '_reconstructor'], ['torch', 'bfloat16'], ['__torch__.model', 'Net'], ['torch.jit._pickle', 'build_tensor_from_id']]) {
      expect(classifyImport(m!, n!).kind, `${m}.${n}`).toBe('safe');
    }
  });

  it('rates dangerous names, py2 aliases, chains and unknowns', () => {
    expect(classifyImport('os', 'system')).toMatchObject({ kind: 'dangerous', severity: 'critical' });
    expect(classifyImport('nt', 'system')).toMatchObject({ kind: 'dangerous', severity: 'critical' });
    expect(classifyImport('__builtin__', 'eval')).toMatchObject({ kind: 'dangerous', severity: 'critical' });
    expect(classifyImport('__builtin__', 'reduce')).toMatchObject({ kind: 'dangerous' });
    expect(classifyImport('torch.serialization', 'os.system')).toMatchObject({ kind: 'dangerous', rule: 'pickle.attribute-chain', severity: 'critical' });
    expect(classifyImport('torch', 'load')).toMatchObject({ kind: 'dangerous', severity: 'high' });
    expect(classifyImport('torch.hub', 'load')).toMatchObject({ kind: 'dangerous', severity: 'critical' });
    expect(classifyImport('mypkg.models', 'Net')).toMatchObject({ kind: 'unknown', severity: 'medium' });
    expect(classifyImport('builtins', 'print')).toMatchObject({ kind: 'dangerous', severity: 'medium' });
    expect(classifyImport('sklearn.tree._classes', 'DecisionTreeClassifier')).toMatchObject({ kind: 'library', severity: 'info' });
    expect(classifyImport('sklearn.datasets', 'fetch_openml')).toMatchObject({ kind: 'unknown' });
  });

  it('turns analyses into findings with locations', async () => {
    const a = await analyzePickle(new BufferSource('x', b("cos\nsystem\n(S'id'\ntR.")));
    expect(pickleFindings(a, 'x.pkl')).toEqual([
      { severity: 'critical', rule: 'pickle.dangerous-import', file: 'x.pkl', location: 'byte 0, opcode 1', detail: expect.stringContaining('called 1× (first REDUCE at byte 19 with ("id",))') },
    ]);
  });
});
