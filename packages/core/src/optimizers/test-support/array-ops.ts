/** A float64 reference backend over plain number arrays (test support; length-1 arrays broadcast). */
import type { Ops } from '../ops.js';

type V = number[];

function binary(a: V, b: V, f: (x: number, y: number) => number): V {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) =>
    f(a.length === 1 ? (a[0] as number) : (a[i] as number), b.length === 1 ? (b[0] as number) : (b[i] as number)),
  );
}

export const arrayOps: Ops<V> = {
  name: 'float64 arrays',
  scalar: (value) => [value],
  zerosLike: (x) => x.map(() => 0),
  fullLike: (x, value) => x.map(() => value[0] as number),
  add: (a, b) => binary(a, b, (x, y) => x + y),
  sub: (a, b) => binary(a, b, (x, y) => x - y),
  mul: (a, b) => binary(a, b, (x, y) => x * y),
  div: (a, b) => binary(a, b, (x, y) => x / y),
  addScaled: (a, b, c) =>
    binary(
      a,
      binary(b, c, (y, z) => y * z),
      (x, y) => x + y,
    ),
  neg: (a) => a.map((x) => -x),
  abs: (a) => a.map(Math.abs),
  sqrt: (a) => a.map(Math.sqrt),
  sign: (a) => a.map((x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN)),
  maximum: (a, b) => binary(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y))),
  minimum: (a, b) => binary(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y))),
  greater: (a, b) => binary(a, b, (x, y) => (x > y ? 1 : 0)),
  less: (a, b) => binary(a, b, (x, y) => (x < y ? 1 : 0)),
  where: (mask, a, b) => {
    const n = Math.max(mask.length, a.length, b.length);
    const at = (v: V, i: number): number => (v.length === 1 ? (v[0] as number) : (v[i] as number));
    return Array.from({ length: n }, (_, i) => (at(mask, i) !== 0 ? at(a, i) : at(b, i)));
  },
  sum: (a) => [a.reduce((x, y) => x + y, 0)],
  assign: (target, value) => {
    target.splice(0, target.length, ...value);
    return target;
  },
  size: (x) => x.length,
  firstNonFinite: (x) => x.findIndex((v) => !Number.isFinite(v)),
  readScalar: (x) => x[0] as number,
  reshape: (x) => x,
  matmul: (a, b, dims) => {
    const { rows, inner, columns, batch = 1 } = dims;
    const at = (p: number, i: number, k: number): number =>
      a[p * rows * inner + (dims.transposeA ? k * rows + i : i * inner + k)] as number;
    const bt = (p: number, k: number, j: number): number =>
      b[p * inner * columns + (dims.transposeB ? j * inner + k : k * columns + j)] as number;
    const out: V = [];
    for (let p = 0; p < batch; p += 1)
      for (let i = 0; i < rows; i += 1)
        for (let j = 0; j < columns; j += 1) {
          let total = 0;
          for (let k = 0; k < inner; k += 1) total += at(p, i, k) * bt(p, k, j);
          out.push(total);
        }
    return out;
  },
  sumAxis: (x, shape, axis) => {
    const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const length = shape[axis] as number;
    const inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const out: V = [];
    for (let o = 0; o < outer; o += 1)
      for (let i = 0; i < inner; i += 1) {
        let total = 0;
        for (let k = 0; k < length; k += 1) total += x[(o * length + k) * inner + i] as number;
        out.push(total);
      }
    return out;
  },
};
