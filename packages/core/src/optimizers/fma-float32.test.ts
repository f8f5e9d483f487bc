import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmaFloat32 } from './fma-float32.js';

const bitsView = new DataView(new ArrayBuffer(4));
const fromBits = (hex: string): number => {
  bitsView.setUint32(0, Number.parseInt(hex, 16));
  return bitsView.getFloat32(0);
};
const toBits = (x: number): number => {
  bitsView.setFloat32(0, x);
  return bitsView.getUint32(0);
};

/** A finite float32 as an exact integer multiple of 2^-300 (float32 products are multiples of 2^-298). */
function exact(x: number): bigint {
  const u = toBits(x);
  const exponent = (u >>> 23) & 0xff;
  const fraction = u & 0x7fffff;
  const mantissa = BigInt(exponent === 0 ? fraction : fraction | 0x800000);
  const scaled = mantissa << BigInt((exponent === 0 ? 1 : exponent) - 150 + 300);
  return u >>> 31 === 1 ? -scaled : scaled;
}

/** The float32 values next to a finite float32 `x`, below and above. */
function neighbours(x: number): [number, number] {
  if (x === 0) return [-(2 ** -149), 2 ** -149];
  const u = toBits(x);
  const away = ((): number => {
    bitsView.setUint32(0, u + 1);
    return bitsView.getFloat32(0);
  })();
  const toward = ((): number => {
    bitsView.setUint32(0, u - 1);
    return bitsView.getFloat32(0);
  })();
  return x > 0 ? [toward, away] : [away, toward];
}

/** True when `result` is the float32 nearest the exact `a + b·c`, ties to even (finite results). */
function correctlyRounded(a: number, b: number, c: number, result: number): boolean {
  const target = exact(a) + ((exact(b) * exact(c)) >> 300n);
  const distance = (x: number): bigint => {
    const d = exact(x) - target;
    return d < 0n ? -d : d;
  };
  const own = distance(result);
  for (const other of neighbours(result)) {
    if (!Number.isFinite(other)) continue;
    const theirs = distance(other);
    if (theirs < own) return false;
    if (theirs === own && (toBits(result) & 1) === 1) return false;
  }
  return true;
}

interface TieCase {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly single: string;
  readonly double: string;
  readonly add: string;
  readonly addcmul: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/torch-fma-ties.json', import.meta.url), 'utf8')) as {
  cases: TieCase[];
};

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;

describe('fmaFloat32', () => {
  it.runIf(torchAvailable)('has a fixture that is exactly what tooling/goldens/torch_fma_ties.py computes with this PyTorch', () => {
    const result = spawnSync('/usr/bin/python3', ['tooling/goldens/torch_fma_ties.py', '--check'], { cwd: repository, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  it("returns what PyTorch's CPU add(alpha=) and addcmul return, ties included (torch_fma_ties.py)", () => {
    const ties = fixture.cases.filter((row) => row.single !== row.double);
    expect(ties.length).toBeGreaterThan(30);
    for (const row of fixture.cases) {
      const result = fmaFloat32(fromBits(row.a), fromBits(row.b), fromBits(row.c));
      expect(toBits(result).toString(16).padStart(8, '0')).toBe(row.add);
      expect(row.addcmul).toBe(row.add);
    }
  });

  it('differs from rounding through float64 on the documented tie', () => {
    const [a, b, c] = [1 + 2 ** -23, 2 ** -12 * (1 + 2 ** -23), 2 ** -12 * (1 - 2 ** -23)];
    expect(Math.fround(a + b * c)).toBe(1 + 2 ** -22);
    expect(fmaFloat32(a, b, c)).toBe(1 + 2 ** -23);
  });

  it('is the correctly rounded float32 of the exact value for any finite float32 inputs', () => {
    const float = fc.float({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(float, float, float, (a, b, c) => {
        const result = fmaFloat32(a, b, c);
        if (!Number.isFinite(result)) return Math.abs(a + b * c) >= 3.4028235677973366e38;
        return correctlyRounded(a, b, c, result);
      }),
      { numRuns: 20000 },
    );
  });

  it('is correctly rounded near ties, where float64 rounding fails, in every binade and sign', () => {
    const tieInputs = fc
      .record({
        mantissa: fc.integer({ min: 0, max: 2 ** 23 - 1 }),
        exponent: fc.integer({ min: -120, max: 120 }),
        j: fc.integer({ min: 10, max: 23 }),
        split: fc.integer({ min: -6, max: 6 }),
        negative: fc.boolean(),
        negativeProduct: fc.boolean(),
      })
      .map(({ mantissa, exponent, j, split, negative, negativeProduct }) => {
        const a = Math.fround((negative ? -1 : 1) * (1 + mantissa * 2 ** -23) * 2 ** exponent);
        const [u, w] = j >= 15 ? [1 + 2 ** -j, 1 - 2 ** -j] : [1 + 2 ** -j, 1 - 2 ** -j + 2 ** (-2 * j)];
        const b = Math.fround((negativeProduct ? -1 : 1) * u * 2 ** split);
        const c = Math.fround(w * 2 ** (exponent - 24 - split));
        return [a, b, c] as const;
      });
    let doubleWrong = 0;
    fc.assert(
      fc.property(tieInputs, ([a, b, c]) => {
        if (!correctlyRounded(a, b, c, Math.fround(a + b * c))) doubleWrong += 1;
        return correctlyRounded(a, b, c, fmaFloat32(a, b, c));
      }),
      { numRuns: 5000 },
    );
    expect(doubleWrong).toBeGreaterThan(100);
  });

  it('handles subnormal results, signed zeros, infinities and NaN like a hardware fma', () => {
    expect(fmaFloat32(2 ** -149, 0.5, 2 ** -149)).toBe(2 ** -148); // a tie between subnormals, to even
    expect(fmaFloat32(2 ** -149, 2 ** -149, 2 ** -149)).toBe(2 ** -149);
    expect(fmaFloat32(0, 2 ** -149, 2 ** -149)).toBe(0);
    expect(Object.is(fmaFloat32(-0, 1, -0), -0)).toBe(true);
    expect(Object.is(fmaFloat32(0, -1, 0), -0)).toBe(false);
    expect(fmaFloat32(1, Number.POSITIVE_INFINITY, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(fmaFloat32(Number.POSITIVE_INFINITY, -1, Number.POSITIVE_INFINITY)).toBeNaN();
    expect(fmaFloat32(Number.NaN, 1, 1)).toBeNaN();
    expect(fmaFloat32(3.4028234663852886e38, 2, 3.4028234663852886e38)).toBe(Number.POSITIVE_INFINITY);
  });
});
