import type { DemoSetup } from '../setup.js';

/** What one backend's training run reports. */
export interface BackendRun {
  readonly backend: string;
  /** Training loss of every step (before its update). */
  readonly losses: number[];
  /** Learning rate of every step. */
  readonly learningRates: number[];
  /** Loss and accuracy on the held-out split after training. */
  readonly validationLoss: number;
  readonly accuracy: number;
  readonly wallMs: number;
  readonly stepsPerSecond: number;
}

/** Per-step hooks of a training run. */
export interface TrainHooks {
  /** Called after every step with the number of steps done. */
  readonly progress?: (done: number) => void;
  /** Called with every step's loss; returning true stops the run there (the LR range test stops on divergence). */
  readonly stop?: (loss: number, step: number) => boolean;
}

/** A backend the demo trains on. */
export interface DemoBackend {
  readonly name: string;
  /** Trains the setup from its initial weights (or until `hooks.stop`); a stopped run has no held-out figures (NaN). */
  train(setup: DemoSetup, hooks?: TrainHooks): Promise<BackendRun>;
}

/** Thrown from a step callback to stop a run early; caught by the backend. */
export class StopTraining extends Error {
  constructor() {
    super('training stopped');
  }
}

/** Records losses and rates step by step and applies the hooks (throws StopTraining to stop). */
export function recorder(hooks: TrainHooks = {}): {
  losses: number[];
  learningRates: number[];
  record: (step: number, loss: number, learningRate: number) => void;
  /** The run's report: what was recorded, the held-out figures (NaN when stopped early) and the time. */
  finish: (backend: string, wallMs: number, held: { loss: number; accuracy: number | undefined }) => BackendRun;
} {
  const losses: number[] = [];
  const learningRates: number[] = [];
  return {
    losses,
    learningRates,
    finish: (backend, wallMs, held) => ({
      backend,
      losses,
      learningRates,
      validationLoss: held.loss,
      accuracy: held.accuracy ?? Number.NaN,
      wallMs,
      stepsPerSecond: (losses.length / wallMs) * 1000,
    }),
    record: (step, loss, learningRate) => {
      losses.push(loss);
      learningRates.push(learningRate);
      hooks.progress?.(step + 1);
      if (hooks.stop?.(loss, step)) throw new StopTraining();
    },
  };
}

/** Share of examples whose arg-max logit is the target class. */
export function argmaxAccuracy(logits: ArrayLike<number>, targets: ArrayLike<number>, classes: number): number {
  let correct = 0;
  for (let b = 0; b < targets.length; b += 1) {
    let best = 0;
    for (let j = 1; j < classes; j += 1) if ((logits[b * classes + j] as number) > (logits[b * classes + best] as number)) best = j;
    if (best === targets[b]) correct += 1;
  }
  return correct / targets.length;
}
