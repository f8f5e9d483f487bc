import { type MlpSpec, optimizerFromJSON, scheduleFromJSON, type Optimizer, type Schedule } from '@stepsize/core';
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

/** An optimizer the demo names, with the schedule it wants (used unless --schedule is given). */
export interface OptimizerPreset {
  readonly optimizer: Record<string, unknown>;
  readonly schedule: (peak: number, steps: number) => Record<string, unknown>;
}

/**
 * `--optimizer <name>`: Prodigy (optax `contrib.prodigy`) estimates its own rate, so its
 * schedule is a factor on that estimate (a warmup, then cosine from 1, with
 * `safeguardWarmup`); schedule-free AdamW (optax `schedule_free_adamw`, evaluated at its
 * averaged point `x`) needs no decay, only a warmup to a constant rate; Muon (optax
 * `contrib.muon`) orthogonalizes the hidden weight matrices and updates the biases with its
 * AdamW, on the default warmup and cosine.
 */
export const OPTIMIZER_PRESETS: Readonly<Record<string, OptimizerPreset>> = {
  // Prodigy estimates the rate itself: the schedule is a factor on it (warmup, then cosine from 1).
  prodigy: {
    optimizer: { type: 'prodigy', weightDecay: 0.01, safeguardWarmup: true },
    schedule: (_peak, steps) => defaultSchedule(1, steps),
  },
  muon: {
    optimizer: { type: 'muon', weightDecay: 0.01 },
    schedule: (peak, steps) => defaultSchedule(peak, steps),
  },
  'schedule-free': {
    optimizer: { type: 'scheduleFreeAdamW', weightDecay: 0.01 },
    schedule: (peak, steps) => ({
      type: 'linear',
      initialValue: 0,
      endValue: peak,
      steps: Math.max(1, Math.round(steps / 10)),
    }),
  },
};

/** Everything every backend trains with: the same data, weights, batches, schedule and optimizer. */
export interface DemoSetup {
  readonly dataset: DemoDataset;
  /** The model, the same on every backend: a tanh MLP with core's seeded initial weights. */
  readonly mlp: MlpSpec;
  /** Seed of the weights and of the batches' shuffles. */
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  /** The optimizer spec with the schedule as its learning rate (JSON). */
  readonly optimizerSpec: Record<string, unknown>;
  readonly scheduleSpec: unknown;
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
  const mlp: MlpSpec = {
    inputSize: args.dataset.inputSize,
    layers: [args.dataset.hidden, args.dataset.classes],
    activation: 'tanh',
    loss: 'softmaxCrossEntropy',
    seed: args.seed,
  };
  return {
    dataset: args.dataset,
    mlp,
    seed: args.seed,
    steps: args.steps,
    batchSize: args.batchSize,
    optimizerSpec,
    scheduleSpec: args.scheduleSpec,
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
