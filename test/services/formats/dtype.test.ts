// The .npy header is a Python literal and its descr a NumPy dtype: both are read as Python and NumPy
// read them, so no spelling of an object dtype reads as plain data.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpretDtypeString } from '../../../electron/services/formats/dtype';
import { descrDtype, NpyError, parsePyLiteral, PyTuple, type Lit } from '../../../electron/services/formats/numpy';
import { codecName } from '../../../electron/services/formats/pickle/analyze';

/** A Python string literal for `s`, each character written in a randomly chosen valid form. */
function pyLiteral(s: string, forms: number[]): string {
  let out = "'";
  [...s].forEach((ch, i) => {
    const cp = ch.codePointAt(0)!;
    const f = forms[i % forms.length]! % 4;
    if (f === 0 && cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (f === 1 && cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else if (f === 2) out += `\\U${cp.toString(16).padStart(8, '0')}`;
    else if (f === 3 && cp < 0o400) out += `\\${cp.toString(8).padStart(3, '0')}`;
    else out += ch === "'" || ch === '\\' || ch === '\n' || ch === '\r' ? `\\${ch === '\n' ? 'n' : ch === '\r' ? 'r' : ch}` : ch;
  });
  return out + "'";
}

describe('Python literals (.npy headers)', () => {
  it('reads every escape form, prefixes, triple quotes and adjacent literals', () => {
    expect(parsePyLiteral(String.raw`'\x4f'`)).toBe('O');
    expect(parsePyLiteral(String.raw`'\u004f8'`)).toBe('O8');
    expect(parsePyLiteral(String.raw`'\U0000004f'`)).toBe('O');
    expect(parsePyLiteral(String.raw`'\117'`)).toBe('O');
    expect(parsePyLiteral(String.raw`'\N{LATIN CAPITAL LETTER O}'`)).toBe('O');
    expect(parsePyLiteral(String.raw`u'O' "" '''''' """8"""`)).toBe('O8');
    expect(parsePyLiteral(String.raw`r'\x4f'`)).toBe(String.raw`\x4f`);
    expect(parsePyLiteral(String.raw`b'\x4f'`)).toEqual({ bytes: 'O' });
    expect(parsePyLiteral('(1)')).toBe(1);
    expect(parsePyLiteral('(1,)')).toBeInstanceOf(PyTuple);
    expect(parsePyLiteral('[1]')).not.toBeInstanceOf(PyTuple);
    expect(() => parsePyLiteral("'a' b'b'")).toThrow(NpyError);
    expect(() => parsePyLiteral(String.raw`'\x4'`)).toThrow(/\\x escape/);
  });

  it('keeps the last of repeated keys and says which were repeated', () => {
    const info = { duplicateKeys: [] as string[] };
    expect(parsePyLiteral("{'descr': '<f8', 'shape': (), 'descr': 'O'}", info)).toMatchObject({ descr: 'O' });
    expect(info.duplicateKeys).toEqual(['descr']);
  });

  it('decodes any string written with any mix of escapes (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(fc.nat(7), { minLength: 1, maxLength: 8 }), (s, forms) => {
      expect(parsePyLiteral(pyLiteral(s, forms))).toBe(s);
    }), { numRuns: 150 });
  });

  it('stays linear on hostile headers', () => {
    const t0 = Date.now();
    for (const bad of ["'" + '\\N{'.repeat(200_000), '['.repeat(60) + "'" + 'x'.repeat(500_000), "'" + "\\'".repeat(300_000) + "'"]) {
      try {
        parsePyLiteral(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(NpyError);
      }
    }
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('NumPy dtypes', () => {
  it('recognises every spelling of an object', () => {
    for (const s of ['O', '|O', '<O', '>O', '=O', 'O8', 'O4', 'object', 'object_', 'object0', 'f8,O', 'i4, (2,)O', '(2,)O', '3O']) expect(interpretDtypeString(s), s).toMatchObject({ object: true });
  });

  it('reads plain dtypes and their item sizes', () => {
    const sizes: Record<string, number> = { '<f8': 8, '|b1': 1, '<U10': 40, '|S5': 5, '<M8[ns]': 8, '<m8[s]': 8, '|V16': 16, '?': 1, 'float32': 4, 'uint8': 1, '<c16': 16, 'f8,i4': 12, '(2,3)f4': 24 };
    for (const [s, n] of Object.entries(sizes)) expect(interpretDtypeString(s), s).toEqual({ object: false, itemSize: n });
    expect(interpretDtypeString('Object')).toBeNull(); // numpy is case-sensitive: not a spelling it accepts
    expect(interpretDtypeString('f8[ns]')).toBeNull();
  });

  it('finds an object field at any depth of a structured descr, and in sub-arrays (property)', () => {
    const plain = fc.constantFrom('<f8', '|u1', '<i4', '|S3');
    const leaf = (obj: boolean): fc.Arbitrary<Lit> => (obj ? fc.constantFrom('O', '|O', 'object') : plain);
    const descr = (obj: boolean, depth: number): fc.Arbitrary<Lit> =>
      depth === 0
        ? leaf(obj)
        : fc.oneof(
            leaf(obj),
            descr(obj, depth - 1).map((d) => PyTuple.from([d, PyTuple.from([2])]) as PyTuple),
            fc.tuple(fc.nat(3), descr(obj, depth - 1), fc.array(descr(false, depth - 1), { maxLength: 3 })).map(([at, bad, rest]) => {
              const fields: Lit[] = rest.map((d, i) => ['f' + i, d]);
              fields.splice(Math.min(at, fields.length), 0, ['x', bad]);
              return fields;
            }),
          );
    fc.assert(fc.property(descr(true, 3), (d) => {
      expect(descrDtype(d)?.object ?? true).toBe(true);
    }), { numRuns: 300 });
    fc.assert(fc.property(descr(false, 3), (d) => {
      expect(descrDtype(d)).toMatchObject({ object: false });
    }), { numRuns: 300 });
  });
});

describe('codec names', () => {
  it('resolves every latin-1 alias the way Python\'s codec lookup does', () => {
    for (const e of ['latin1', 'latin-1', 'LATIN_1', 'iso-8859-1', 'ISO8859-1', 'iso_8859_1', 'l1', 'L1', '8859', 'cp819', 'CP819', 'latin', 'ibm819', 'iso-ir-100', ' latin 1 ']) expect(codecName(e), e).toBe('latin_1');
    for (const e of ['utf-8', 'UTF8', 'u8', 'utf', 'cp65001']) expect(codecName(e), e).toBe('utf_8');
    expect(codecName('utf-16')).toBe('utf_16');
  });
});
