import { optimizerFromJSON, scheduleFromJSON, type Optimizer, type Schedule } from '@stepsize/core';
import { Mlp } from '@stepsize/engine';
import type { DemoDataset } from './data.js';

/** Default schedule: linear warmup for 10% of the steps, then cosine decay from the dataset's peak rate. */
export function defaultSchedule(peak: number, steps: number): Record<string, unknown> {
  const warmupSteps = Math.max(1, Math.round(steps / 10));
  return {
    type: 'warmup',
    steps: warmupSteps,
    schedule: { type: 'cosineAnnealing', initialValue: peak, steps: Math.max(1, steps - warmupSteps), minValue: peak / 100 },
  };
}

/** Default optimizer: AdamW (its learning rate is the schedule). */
export const DEFAULT_OPTIMIZER = { type: 'adamW', weightDecay: 0.01 } as const;

/** Everything every backend trains with: the same data, weights, batches, schedule and optimizer. */
export interface DemoSetup {
  readonly dataset: DemoDataset;
  readonly layers: readonly number[];
  readonly activation: 'tanh';
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  /** The optimizer spec with the schedule as its learning rate (JSON). */
  readonly optimizerSpec: Record<string, unknown>;
  readonly scheduleSpec: unknown;
  /** Initial weights by parameter name, with shapes. */
  readonly weights: Readonly<Record<string, { readonly values: Float32Array; readonly shape: number[] }>>;
}

/** Builds the setup; spec errors are core's StepsizeErrors, whose paths start at the spec's root (`$`). */
export function makeSetup(args: {
  dataset: DemoDataset;
  seed: number;
  steps: number;
  batchSize: number;
  scheduleSpec: unknown;
  optimizerSpec: Record<string, unknown>;
}): DemoSetup {
  scheduleFromJSON(args.scheduleSpec); // validates, with the JSON path
  const optimizerSpec = { ...args.optimizerSpec, learningRate: args.scheduleSpec };
  optimizerFromJSON(optimizerSpec);
  const layers = [args.dataset.hidden, args.dataset.classes];
  const mlp = new Mlp({ inputSize: args.dataset.inputSize, layers, activation: 'tanh', seed: args.seed });
  const weights = Object.fromEntries(
    Object.entries(mlp.params).map(([name, values]) => [
      name,
      { values: Float32Array.from(values), shape: [...(mlp.shapes[name] as number[])] },
    ]),
  );
  return {
    dataset: args.dataset,
    layers,
    activation: 'tanh',
    seed: args.seed,
    steps: args.steps,
    batchSize: args.batchSize,
    optimizerSpec,
    scheduleSpec: args.scheduleSpec,
    weights,
  };
}

/** A fresh optimizer (and its schedule) for one backend. */
export function optimizerOf(setup: DemoSetup): Optimizer {
  return optimizerFromJSON(setup.optimizerSpec);
}

/** The schedule alone (for the report's curve). */
export function scheduleOf(setup: DemoSetup): Schedule {
  return scheduleFromJSON(setup.scheduleSpec);
}

/** A model with the setup's initial weights. */
export function modelOf(setup: DemoSetup): Mlp {
  const mlp = new Mlp({ inputSize: setup.dataset.inputSize, layers: setup.layers, activation: setup.activation, seed: setup.seed });
  for (const [name, { values }] of Object.entries(setup.weights)) (mlp.params[name] as Float32Array).set(values);
  return mlp;
}
