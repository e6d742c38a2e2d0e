import { describe, expect, it } from 'vitest';
import type { OnnxValueInfo } from '../../../native/OnnxRuntime';
import { batchSizeOf, hashInputs, onnxInputsFromCsv, onnxInputsFromJson, onnxInputsFromText } from '../../../electron/services/inference/inputs';

const one: OnnxValueInfo[] = [{ name: 'x', type: 'float32', shape: ['batch', 3] }];
const image: OnnxValueInfo[] = [{ name: 'img', type: 'float32', shape: ['n', 2, 2] }];
const two: OnnxValueInfo[] = [{ name: 'a', type: 'float32', shape: [2] }, { name: 'b', type: 'int64', shape: [] }];

describe('ONNX inputs from JSON', () => {
  it('infers dims from nested arrays and adds a batch of 1 to a single sample', () => {
    expect(onnxInputsFromJson({ x: [[1, 2, 3], [4, 5, 6]] }, one)).toEqual({ x: { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] } });
    expect(onnxInputsFromJson({ x: [1, 2, 3] }, one)).toEqual({ x: { dims: [1, 3], data: [1, 2, 3] } });
    expect(onnxInputsFromJson([[7, 8, 9]], one)).toEqual({ x: { dims: [1, 3], data: [7, 8, 9] } });
  });

  it('takes explicit tensors and scalars', () => {
    expect(onnxInputsFromJson({ a: { shape: [2], data: [1, 2], type: 'float32' }, b: 5 }, two)).toEqual({
      a: { dims: [2], data: [1, 2], type: 'float32' }, b: { dims: [], data: [5] },
    });
  });

  it('builds constant tensors from {dims, fill} (a recurrent state of zeros) and caps their size', () => {
    const state: OnnxValueInfo[] = [{ name: 'h', type: 'float32', shape: [2, 'batch', 4] }];
    expect(onnxInputsFromJson({ h: { dims: [2, 1, 4], fill: 0 } }, state)).toEqual({ h: { dims: [2, 1, 4], data: new Array(8).fill(0) } });
    expect(() => onnxInputsFromJson({ h: { dims: [2, -1, 4], fill: 0 } }, state)).toThrow(/non-negative integers/);
    expect(() => onnxInputsFromJson({ h: { dims: [1 << 20, 1 << 20], fill: 0 } }, state)).toThrow(/over the 16777216 limit/);
  });

  it('explains what is wrong', () => {
    expect(() => onnxInputsFromJson({ x: [[1, 2], [3]] }, one)).toThrow('input "x" is not rectangular: row 1 has shape [1], row 0 has [2]');
    expect(() => onnxInputsFromJson({ x: { data: [1] } }, one)).toThrow(/needs "dims"/);
    expect(() => onnxInputsFromJson({ x: null }, one)).toThrow(/got null/);
    expect(() => onnxInputsFromJson([1, 2], two)).toThrow(/has 2 inputs \("a", "b"\)/);
  });
});

describe('ONNX inputs from CSV', () => {
  it('reads a batch with or without a header, quotes and CRLF', () => {
    expect(onnxInputsFromCsv('a,b,c\r\n1,2,3\r\n4,5,6\r\n', one)).toEqual({ x: { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] } });
    expect(onnxInputsFromCsv('"1","2.5",-3e2', one)).toEqual({ x: { dims: [1, 3], data: [1, 2.5, -300] } });
  });

  it('reshapes rows to fixed trailing dims', () => {
    expect(onnxInputsFromCsv('1,2,3,4\n5,6,7,8', image).img!.dims).toEqual([2, 2, 2]);
  });

  it('names the row and column of a bad cell, and refuses ambiguous targets', () => {
    expect(() => onnxInputsFromCsv('', one)).toThrow('the CSV input is empty');
    expect(() => onnxInputsFromCsv('a,b\n', one)).toThrow(/header but no rows/);
    expect(() => onnxInputsFromCsv('1,2,3\n4,5', one)).toThrow('CSV row 2 has 2 columns, the first row has 3');
    expect(() => onnxInputsFromCsv('1,2', two)).toThrow(/name one or use JSON/);
    expect(onnxInputsFromCsv('1,2', two, 'a')).toEqual({ a: { dims: [1, 2], data: [1, 2] } });
    expect(() => onnxInputsFromCsv('1,2', two, 'zz')).toThrow(/no input "zz"/);
  });

  it('chooses JSON or CSV from the file name or content', () => {
    expect(onnxInputsFromText('[[1,2,3]]', 'in.txt', one).x!.dims).toEqual([1, 3]);
    expect(onnxInputsFromText('1,2,3', 'in.data', one).x!.dims).toEqual([1, 3]);
    expect(() => onnxInputsFromText('{nope', 'in.json', one)).toThrow(/in\.json is not valid JSON/);
    expect(batchSizeOf(onnxInputsFromText('1,2,3\n1,2,3', 'b.csv', one))).toBe(2);
  });
});

describe('inputs hash', () => {
  it('ignores key order and distinguishes values', () => {
    expect(hashInputs({ a: 1, b: [1, 2] })).toBe(hashInputs({ b: [1, 2], a: 1 }));
    expect(hashInputs({ a: 1 })).not.toBe(hashInputs({ a: 2 }));
    expect(hashInputs(new Float32Array([1, 2]))).toBe(hashInputs([1, 2]));
    expect(hashInputs({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
