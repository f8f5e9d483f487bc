import { optimizerFromJSON, train } from '@stepsize/core';
import type { BackendName } from './backend-names.js';
import { createBackend } from './backends.js';
import type { DemoSetup } from './setup.js';

/** What one backend's training run reports. */
export interface BackendRun {
  readonly backend: string;
  /** Training loss of every step (before its update). */
  readonly losses: number[];
  /** Learning rate of every step. */
  readonly learningRates: number[];
  /** Loss and accuracy on the held-out split after training (NaN when the run was stopped early). */
  readonly validationLoss: number;
  readonly accuracy: number;
  readonly wallMs: number;
  readonly stepsPerSecond: number;
}

/** Per-step hooks of a training run. */
export interface TrainHooks {
  /** Called after every step with the number of steps done. */
  readonly progress?: (done: number) => void;
}

/** Trains the setup on one backend with core's `train()`, the same call on every stack. */
export async function trainOn(name: BackendName, setup: DemoSetup, hooks: TrainHooks = {}): Promise<BackendRun> {
  const backend = await createBackend(name, setup.mlp);
  try {
    const start = performance.now();
    const result = await train({
      backend,
      optimizer: optimizerFromJSON(setup.optimizerSpec),
      data: setup.dataset.train,
      validation: setup.dataset.validation,
      batchSize: setup.batchSize,
      steps: setup.steps,
      seed: setup.seed,
      onStep: (record) => hooks.progress?.(record.step + 1),
    });
    const wallMs = performance.now() - start;
    const stopped = result.stopReason !== 'completed';
    const final = result.evaluations.at(-1);
    return {
      backend: name,
      losses: result.history.map((r) => r.loss),
      learningRates: result.history.map((r) => r.learningRate),
      validationLoss: stopped ? Number.NaN : (final?.loss ?? Number.NaN),
      accuracy: stopped ? Number.NaN : (final?.accuracy ?? Number.NaN),
      wallMs,
      stepsPerSecond: (result.history.length / wallMs) * 1000,
    };
  } finally {
    await backend.dispose?.();
  }
}
