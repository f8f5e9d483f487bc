import { describe, expect, it } from 'vitest';
import { integerPowerFloat32, optaxBiasCorrection, optaxRateCorrection } from './optax-moments.js';

const f = Math.fround;

describe('integerPowerFloat32 (jax lax.integer_pow in float32)', () => {
  it('multiplies the squares of the set bits from the lowest, rounding each product', () => {
    const x = f(0.999);
    const x2 = f(x * x);
    const x4 = f(x2 * x2);
    const x8 = f(x4 * x4);
    expect(integerPowerFloat32(0.999, 0)).toBe(1);
    expect(integerPowerFloat32(0.999, 1)).toBe(x);
    expect(integerPowerFloat32(0.999, 3)).toBe(f(x * x2));
    // 13 = 0b1101: x, then x * x^4, then (x * x^4) * x^8.
    expect(integerPowerFloat32(0.999, 13)).toBe(f(f(x * x4) * x8));
  });

  it('differs from the correctly rounded power, which is why Prodigy needs it', () => {
    const differing = Array.from({ length: 60 }, (_, i) => i + 1).filter((t) => integerPowerFloat32(0.999, t) !== f(f(0.999) ** t));
    expect(differing.length).toBeGreaterThan(10);
    for (const t of differing) {
      // Each product rounds once: the result stays within a few float32 units of the power.
      expect(Math.abs(integerPowerFloat32(0.999, t) / f(0.999) ** t - 1)).toBeLessThan(2 ** -23 * 8);
    }
  });
});

describe('optaxRateCorrection', () => {
  it('is √(1 - b2^t) / (1 - b1^t) in float32 with the integer powers', () => {
    for (const t of [1, 2, 13, 60, 1000]) {
      const c2 = f(1 - integerPowerFloat32(0.999, t));
      const c1 = f(1 - integerPowerFloat32(0.9, t));
      expect(optaxRateCorrection(0.9, 0.999, t)).toBe(f(f(Math.sqrt(c2)) / c1));
    }
  });

  it('falls back to the float64 power where float32 rounds the decay to 1', () => {
    const tiny = 1e-9;
    expect(optaxRateCorrection(1 - tiny, 1 - tiny, 3)).toBe(
      f(f(Math.sqrt(optaxBiasCorrection(1 - tiny, 3))) / optaxBiasCorrection(1 - tiny, 3)),
    );
    expect(Number.isFinite(optaxRateCorrection(1 - tiny, 1 - tiny, 3))).toBe(true);
  });
});
