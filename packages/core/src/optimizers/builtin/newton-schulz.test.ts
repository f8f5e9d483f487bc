import { describe, expect, it } from 'vitest';
import { float32Ops } from '../float32-ops.js';
import { newtonSchulz, roundToBfloat16 } from './newton-schulz.js';

const ops = float32Ops;
const coefficients = [ops.scalar(3.4445), ops.scalar(-4.775), ops.scalar(2.0315)] as const;

describe('Newton-Schulz', () => {
  it('rounds to the nearest bfloat16, ties to even, as Tensor.bfloat16()', () => {
    // bfloat16 keeps 8 significant bits: near 1 its spacing is 2^-7.
    const x = Float32Array.of(
      1 + 2 ** -8, // a tie between 1 (even) and 1 + 2^-7: 1
      1 + 3 * 2 ** -8, // a tie between 1 + 2^-7 (odd) and 1 + 2^-6 (even): 1 + 2^-6
      1 + 2 ** -8 + 2 ** -20, // just above the tie: 1 + 2^-7
      -(3 + 2 ** -7), // spacing 2^-6 at 2..4: -3 (even) on the tie
      1e-3, // 0.001 = 1.024 · 2^-10 → 131 · 2^-17 = 0.00099945068359375
      65504,
    );
    expect([...roundToBfloat16(ops, x)]).toEqual([1, 1 + 2 ** -6, 1 + 2 ** -7, -3, 131 * 2 ** -17, 65536]);
  });

  it('applies the quintic a s + b s³ + c s⁵ to each singular value, five times', () => {
    // A diagonal matrix's singular values are its entries: NS maps each through the polynomial.
    const p = (s: number) => 3.4445 * s + -4.775 * s ** 3 + 2.0315 * s ** 5;
    const iterate = (s: number) => [1, 2, 3, 4, 5].reduce((v) => p(v), s);
    const x = Float32Array.of(0.6, 0, 0, 0, 0.3, 0);
    const out = newtonSchulz({ ops, type: 'muon', x, rows: 2, columns: 3, coefficients, steps: 5, precision: 'float32' });
    expect(out[0]).toBeCloseTo(iterate(0.6), 5);
    expect(out[4]).toBeCloseTo(iterate(0.3), 5);
    for (const i of [1, 2, 3, 5]) expect(out[i]).toBe(0);
    // Both singular values end in the quintic's band around 1 (0.7 to 1.2).
    expect(Math.min(out[0] as number, out[4] as number)).toBeGreaterThan(0.65);
    expect(Math.max(out[0] as number, out[4] as number)).toBeLessThan(1.25);
  });

  it('treats a tall matrix as the transpose of the wide one', () => {
    const wide = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) / 4);
    const tall = Float32Array.from({ length: 12 }, (_, i) => wide[(i % 3) * 4 + Math.floor(i / 3)] as number);
    const run = (x: Float32Array, rows: number, columns: number) =>
      newtonSchulz({ ops, type: 'muon', x, rows, columns, coefficients, steps: 5, precision: 'float32' });
    const fromWide = run(wide, 3, 4);
    const fromTall = run(tall, 4, 3);
    for (let i = 0; i < 4; i += 1) for (let j = 0; j < 3; j += 1) expect(fromTall[i * 3 + j]).toBeCloseTo(fromWide[j * 4 + i] as number, 6);
  });

  it('keeps every intermediate on the bfloat16 grid in bfloat16', () => {
    const x = Float32Array.from({ length: 6 }, (_, i) => Math.cos(i) / 3);
    const out = newtonSchulz({ ops, type: 'muon', x, rows: 2, columns: 3, coefficients, steps: 5, precision: 'bfloat16' });
    expect([...roundToBfloat16(ops, out)]).toEqual([...out]);
    const exact = newtonSchulz({ ops, type: 'muon', x, rows: 2, columns: 3, coefficients, steps: 5, precision: 'float32' });
    // bfloat16 keeps about 2-3 significant digits: the same orthogonalization, coarser.
    for (let i = 0; i < 6; i += 1) expect(Math.abs((out[i] as number) - (exact[i] as number))).toBeLessThan(0.05);
  });
});
