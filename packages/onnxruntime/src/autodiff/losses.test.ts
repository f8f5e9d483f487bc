import { describe, it } from 'vitest';
import {
  expectGradients,
  inferenceModel,
  type LossCase,
  MSE,
  randomSource,
  randomTensor,
  type Tensor,
  tensor,
} from './test-support/finite-differences.js';

const BATCH = 3;
const CLASSES = 3;
const random = randomSource(149);

/** `x [batch,4] @ W [4,3] + b [3]`: logits. */
function linearModel(): Uint8Array {
  return inferenceModel(['batch', 4], (graph, x) => {
    const product = graph.op('MatMul', [x, graph.initializer('W', [4, CLASSES], Array.from(randomTensor(random, [4, CLASSES]).values))]);
    graph.output(graph.op('Add', [product, graph.initializer('b', [CLASSES], [0.1, -0.3, 0.2])]), 'y', 'float32', ['batch', CLASSES]);
  });
}

/** Row `n` of [batch, classes] values, as float64. */
const row = (values: ArrayLike<number>, n: number): number[] =>
  Array.from({ length: CLASSES }, (_, c) => values[n * CLASSES + c] as number);

/** log Σ e^o, stably. */
function logSumExp(logits: readonly number[]): number {
  const top = Math.max(...logits);
  return top + Math.log(logits.reduce((s, o) => s + Math.exp(o - top), 0));
}

/** `CrossEntropyLoss()` with probability rows (any sums): the batch mean of −Σ t log softmax(o). */
function crossEntropyOfRows(output: ArrayLike<number>, target: ArrayLike<number>): number {
  let sum = 0;
  for (let n = 0; n < BATCH; n += 1) {
    const logits = row(output, n);
    const normalizer = logSumExp(logits);
    row(target, n).forEach((t, c) => {
      sum -= t * ((logits[c] as number) - normalizer);
    });
  }
  return sum / BATCH;
}

/** `CrossEntropyLoss()` with class indices: the batch mean of log Σ e^o − o[t]. */
function crossEntropyOfIndices(output: ArrayLike<number>, target: ArrayLike<number>): number {
  let sum = 0;
  for (let n = 0; n < BATCH; n += 1) {
    const logits = row(output, n);
    sum += logSumExp(logits) - (logits[target[n] as number] as number);
  }
  return sum / BATCH;
}

/** `BCEWithLogitsLoss()`: the mean of max(o, 0) − o t + log(1 + e^−|o|). */
function binaryCrossEntropyWithLogits(output: ArrayLike<number>, target: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < output.length; i += 1) {
    const o = output[i] as number;
    sum += Math.max(o, 0) - o * (target[i] as number) + Math.log1p(Math.exp(-Math.abs(o)));
  }
  return sum / output.length;
}

const fixed = (target: Tensor) => (): Tensor => target;

const LOSSES: Readonly<Record<string, LossCase>> = {
  'mse (MSELoss)': MSE,
  'softmaxCrossEntropy with class indices (CrossEntropyLoss)': {
    name: 'softmaxCrossEntropy',
    target: fixed(tensor([BATCH], (i) => [2, 0, 1][i] as number)),
    evaluate: crossEntropyOfIndices,
  },
  'softmaxCrossEntropy oneHot, soft rows that sum to 1 (CrossEntropyLoss with probabilities)': {
    name: 'softmaxCrossEntropy',
    targetKind: 'oneHot',
    target: fixed(tensor([BATCH, CLASSES], (i) => [0.2, 0.5, 0.3, 1, 0, 0, 0.05, 0.15, 0.8][i] as number)),
    evaluate: crossEntropyOfRows,
  },
  'softmaxCrossEntropy oneHot, rows that do not sum to 1': {
    name: 'softmaxCrossEntropy',
    targetKind: 'oneHot',
    target: fixed(tensor([BATCH, CLASSES], (i) => [0.2, 0.5, 0.9, 1, 1, 0, 0.1, 0, 0.3][i] as number)),
    evaluate: crossEntropyOfRows,
  },
  'binaryCrossEntropy on logits, hard and soft targets (BCEWithLogitsLoss)': {
    name: 'binaryCrossEntropy',
    target: fixed(tensor([BATCH, CLASSES], (i) => [1, 0, 1, 0.3, 0.9, 0, 0, 1, 0.5][i] as number)),
    evaluate: binaryCrossEntropyWithLogits,
  },
};

describe('the losses: loss as PyTorch defines it (float64), gradient against finite differences', () => {
  for (const [label, loss] of Object.entries(LOSSES))
    it(label, async () => {
      await expectGradients(`loss ${label}`, { model: linearModel(), input: randomTensor(random, [BATCH, 4], -2, 2), loss });
    });
});
