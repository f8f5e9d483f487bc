import { describe, expect, it } from 'vitest';
import { iris } from './iris.js';
import { mnist } from './mnist.js';

describe('datasets', () => {
  it('iris: standardised features, every flower once, a seeded split', () => {
    const { train, validation } = iris();
    expect([train.examples, validation.examples]).toEqual([120, 30]);
    const all = [...train.inputs, ...validation.inputs];
    for (let j = 0; j < 4; j += 1) {
      const column = all.filter((_, i) => i % 4 === j);
      const mean = column.reduce((a, b) => a + b, 0) / column.length;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(variance).toBeCloseTo(1, 5);
    }
    const counts = [0, 0, 0];
    for (const label of [...train.targets, ...validation.targets]) counts[label] = (counts[label] as number) + 1;
    expect(counts).toEqual([50, 50, 50]);
    expect(iris({ seed: 1 }).train.targets).not.toEqual(train.targets);
    expect(iris({ seed: 0 }).train.inputs).toEqual(train.inputs);
    expect(() => iris({ validation: 150 })).toThrow(/iris options\.validation must be an integer in \[0, 149\], got 150/);
  });

  it('mnist: pixels in [0, 1], classes interleaved', () => {
    const { train, validation } = mnist({ perClass: 3, validationPerClass: 2 });
    expect([train.examples, validation.examples, train.inputs.length]).toEqual([30, 20, 30 * 784]);
    expect(Array.from(train.targets.slice(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(train.inputs.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(() => mnist({ perClass: 0 })).toThrow(/mnist options\.perClass must be an integer >= 1/);
  });
});
