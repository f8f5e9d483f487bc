import {
  type Dataset,
  type MlpSpec,
  optimizerFromJSON,
  type OptimizerSpec,
  type TrainingBackend,
  type TrainingGuard,
  type TrainResult,
  train,
} from '@stepsize/core';
import type { FindingKind } from '@stepsize/core/advisor';
import { iris, type SplitDataset } from '@stepsize/datasets';
import { mnist } from '@stepsize/datasets/mnist';

/** One real training run made to show one kind of curve, and why its setup does. */
export interface CorpusRun {
  readonly name: string;
  readonly kind: FindingKind;
  readonly why: string;
  readonly dataset: 'iris' | 'iris (15 examples)' | 'mnist' | 'mnist (20 examples)';
  readonly optimizer: OptimizerSpec;
  readonly steps: number;
  /** A batch whose labels are all wrong (each class k becomes k + 1, mod the classes); the update on it happens as usual. */
  readonly corruptBatch?: number;
  /** Hidden units (default 16 for iris, 32 for mnist). */
  readonly hidden?: number;
}

const warmupCosine = (peak: number, warmup: number, steps: number) => ({
  type: 'warmup',
  steps: warmup,
  schedule: { type: 'cosineAnnealing', initialValue: peak, steps: steps - warmup },
});

/** Good rates here: Adam 0.01 and SGD with momentum 0.05 on iris, Adam 0.003 on the digits. */
export const CORPUS: readonly CorpusRun[] = [
  {
    name: 'iris sgd 1e-4',
    kind: 'slow',
    why: 'SGD 1000x below a good rate',
    dataset: 'iris',
    optimizer: { type: 'sgd', learningRate: 1e-4 },
    steps: 600,
  },
  {
    name: 'iris adam 1e-5',
    kind: 'slow',
    why: 'Adam 1000x below a good rate',
    dataset: 'iris',
    optimizer: { type: 'adam', learningRate: 1e-5 },
    steps: 600,
  },
  {
    name: 'mnist sgd 1e-4',
    kind: 'slow',
    why: 'SGD far below a good rate',
    dataset: 'mnist',
    optimizer: { type: 'sgd', learningRate: 1e-4 },
    steps: 600,
  },
  {
    name: 'iris sgd 1',
    kind: 'oscillating',
    why: 'plain SGD at a rate past its stable range, still finite',
    dataset: 'iris',
    optimizer: { type: 'sgd', learningRate: 1 },
    steps: 600,
  },
  {
    name: 'iris sgd momentum 0.5',
    kind: 'oscillating',
    why: 'momentum 0.9 makes 0.5 ten times the good rate',
    dataset: 'iris',
    optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9 },
    steps: 600,
  },
  {
    name: 'iris adam 0.3',
    kind: 'oscillating',
    why: 'Adam 30x above a good rate',
    dataset: 'iris',
    optimizer: { type: 'adam', learningRate: 0.3 },
    steps: 600,
  },
  {
    name: 'iris sgd 100',
    kind: 'diverging',
    why: 'SGD 1000x above a good rate',
    dataset: 'iris',
    optimizer: { type: 'sgd', learningRate: 100 },
    steps: 600,
  },
  {
    name: 'iris adam 5',
    kind: 'diverging',
    why: 'Adam 500x above a good rate',
    dataset: 'iris',
    optimizer: { type: 'adam', learningRate: 5 },
    steps: 600,
  },
  {
    name: 'iris sgd momentum 2',
    kind: 'diverging',
    why: 'momentum 0.9 at 40x a good rate',
    dataset: 'iris',
    optimizer: { type: 'sgd', learningRate: 2, momentum: 0.9 },
    steps: 600,
  },
  {
    name: 'mnist sgd 50',
    kind: 'diverging',
    why: 'SGD far above a good rate',
    dataset: 'mnist',
    optimizer: { type: 'sgd', learningRate: 50 },
    steps: 600,
  },
  {
    name: 'iris adam warmup cosine',
    kind: 'healthy',
    why: 'a good peak, warmup then cosine to 0',
    dataset: 'iris',
    optimizer: { type: 'adam', learningRate: warmupCosine(0.01, 50, 600) },
    steps: 600,
  },
  {
    name: 'iris sgd momentum warmup cosine',
    kind: 'healthy',
    why: 'a good peak, warmup then cosine to 0',
    dataset: 'iris',
    optimizer: { type: 'sgd', momentum: 0.9, learningRate: warmupCosine(0.05, 30, 600) },
    steps: 600,
  },
  {
    name: 'mnist adam warmup cosine',
    kind: 'healthy',
    why: 'a good peak, warmup then cosine to 0',
    dataset: 'mnist',
    optimizer: { type: 'adam', learningRate: warmupCosine(0.003, 30, 600) },
    steps: 600,
  },
  {
    name: 'iris tiny, long',
    kind: 'overfitting',
    why: '15 training examples, 64 hidden units, 3,000 steps',
    dataset: 'iris (15 examples)',
    hidden: 64,
    optimizer: { type: 'adam', learningRate: 0.01 },
    steps: 3000,
  },
  {
    name: 'mnist tiny, long',
    kind: 'overfitting',
    why: '20 training digits, 1,500 steps',
    dataset: 'mnist (20 examples)',
    optimizer: { type: 'adam', learningRate: 0.001 },
    steps: 1500,
  },
  {
    name: 'iris corrupted batch',
    kind: 'spike',
    why: 'a cosine run whose batch 300 has every label wrong',
    dataset: 'iris',
    optimizer: { type: 'adam', learningRate: { type: 'cosineAnnealing', initialValue: 0.01, steps: 600 } },
    steps: 600,
    corruptBatch: 300,
  },
  {
    name: 'mnist corrupted batch',
    kind: 'spike',
    why: 'a warmup-cosine run whose batch 300 has every label wrong',
    dataset: 'mnist',
    optimizer: { type: 'adam', learningRate: warmupCosine(0.003, 30, 600) },
    steps: 600,
    corruptBatch: 300,
  },
  {
    name: 'iris constant for 3,000 steps',
    kind: 'plateau',
    why: 'a good constant rate held five times longer than the loss needs (weight decay keeps it from overfitting)',
    dataset: 'iris',
    optimizer: { type: 'adamW', learningRate: 0.003, weightDecay: 0.1 },
    steps: 3000,
  },
];

const cache = new Map<string, SplitDataset>();
/** The run's data (from @stepsize/datasets). */
export function datasetOf(run: CorpusRun): SplitDataset {
  const cached = cache.get(run.dataset);
  if (cached !== undefined) return cached;
  const data =
    run.dataset === 'iris'
      ? iris()
      : run.dataset === 'mnist'
        ? mnist({ perClass: 100, validationPerClass: 30 })
        : run.dataset === 'mnist (20 examples)'
          ? mnist({ perClass: 2, validationPerClass: 30 })
          : (() => {
              const full = iris();
              const examples = 15;
              return {
                ...full,
                train: { inputs: full.train.inputs.slice(0, examples * 4), targets: full.train.targets.slice(0, examples), examples },
              };
            })();
  cache.set(run.dataset, data);
  return data;
}

/** The MLP of a run (seeded, so every stack starts from the same weights). */
export function mlpOf(run: CorpusRun): MlpSpec {
  return run.dataset.startsWith('mnist')
    ? { inputSize: 784, layers: [run.hidden ?? 32, 10], activation: 'relu', loss: 'softmaxCrossEntropy', seed: 1 }
    : { inputSize: 4, layers: [run.hidden ?? 16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 };
}

/** The backend with the labels of backward pass `index` all wrong (class k read as k + 1, mod `classes`). */
function corrupting(backend: TrainingBackend, index: number, classes: number): TrainingBackend {
  let calls = 0;
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'lossAndGradients') {
        return (batch: Dataset) => {
          const call = calls;
          calls += 1;
          return target.lossAndGradients(
            call === index ? { ...batch, targets: batch.targets.map((label) => (label + 1) % classes) } : batch,
          );
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Trains a run on a stack (optionally with another learning rate, or a guard), evaluating every 20 steps. */
export async function trainRun(
  run: CorpusRun,
  makeBackend: (mlp: MlpSpec) => Promise<TrainingBackend>,
  learningRate?: unknown,
  guard?: TrainingGuard,
): Promise<TrainResult> {
  const data = datasetOf(run);
  const made = await makeBackend(mlpOf(run));
  const backend = run.corruptBatch === undefined ? made : corrupting(made, run.corruptBatch, data.classes);
  const batchSize =
    run.dataset === 'iris (15 examples)' ? 5 : run.dataset === 'mnist (20 examples)' ? 10 : run.dataset === 'mnist' ? 32 : 12;
  const optimizer = optimizerFromJSON(learningRate === undefined ? run.optimizer : { ...run.optimizer, learningRate });
  try {
    return await train({
      backend,
      data: data.train,
      validation: data.validation,
      batchSize,
      steps: run.steps,
      optimizer,
      evaluateEvery: 20,
      guard,
    });
  } finally {
    await made.dispose?.();
  }
}
