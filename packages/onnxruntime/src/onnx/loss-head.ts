import type { Dimension, GraphBuilder } from './graph.js';

/** The losses a generated training model appends to its predictions. */
export type LossName = 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';

/** How a cross-entropy target is given: class indices [batch] as float32, or one row per example [batch, classes]. */
export type TargetKind = 'classIndex' | 'oneHot';

/** The appended loss: the `target` input, the loss value and its gradient with respect to the predictions. */
export interface LossHead {
  readonly target: string;
  readonly targetDims: readonly Dimension[];
  readonly value: string;
  readonly gradient: string;
}

const FLOAT = 1;
const INT64 = 7;

/**
 * Appends `target` and the loss on `logits` (shape `dims`, batch first) to `graph`, with
 * its gradient, as the engine and PyTorch define them:
 * - `mse`: mean over all elements of (o − y)² (`MSELoss`);
 * - `softmaxCrossEntropy` over axis 1 of [batch, classes] logits: mean over the batch of
 *   −Σ y log softmax(o), `y` the one-hot rows of class indices (`CrossEntropyLoss`), or
 *   the given rows (`oneHot`: probabilities, gradient `softmax(o) Σy − y`);
 * - `binaryCrossEntropy` on logits: mean of max(o, 0) − o·y + log(1 + e^−|o|) (`BCEWithLogitsLoss`).
 */
export function appendLoss(
  graph: GraphBuilder,
  logits: string,
  dims: readonly Dimension[],
  loss: LossName,
  targetKind: TargetKind = 'classIndex',
): LossHead {
  const count = (x: string): string => graph.op('Cast', [graph.op('Size', [x])], { to: { int: FLOAT } });
  if (loss === 'mse' || loss === 'binaryCrossEntropy') {
    const target = graph.input('target', 'float32', dims);
    if (loss === 'mse') {
      const difference = graph.op('Sub', [logits, target]);
      const value = graph.op('ReduceMean', [graph.op('Mul', [difference, difference])], { keepdims: { int: 0 } });
      return {
        target,
        targetDims: dims,
        value,
        gradient: graph.op('Div', [graph.op('Mul', [difference, graph.scalar(2)]), count(difference)]),
      };
    }
    const terms = graph.op('Add', [
      graph.op('Sub', [graph.op('Relu', [logits]), graph.op('Mul', [logits, target])]),
      graph.op('Softplus', [graph.op('Neg', [graph.op('Abs', [logits])])]),
    ]);
    const value = graph.op('ReduceMean', [terms], { keepdims: { int: 0 } });
    return {
      target,
      targetDims: dims,
      value,
      gradient: graph.op('Div', [graph.op('Sub', [graph.op('Sigmoid', [logits]), target]), count(logits)]),
    };
  }
  const width = dims[1] as number;
  const batch = graph.op(
    'Cast',
    [graph.op('Gather', [graph.op('Shape', [logits]), graph.constant('zero', 'int64', [], [0])], { axis: { int: 0 } })],
    { to: { int: FLOAT } },
  );
  const targetDims = targetKind === 'classIndex' ? [dims[0] as Dimension] : dims;
  const target = graph.input('target', 'float32', targetDims);
  const rows =
    targetKind === 'classIndex'
      ? graph.op(
          'OneHot',
          [
            graph.op('Cast', [target], { to: { int: INT64 } }),
            graph.constant('depth', 'int64', [], [width]),
            graph.constant('off_on', 'float32', [2], [0, 1]),
          ],
          { axis: { int: -1 } },
        )
      : target;
  const logProbabilities = graph.op('LogSoftmax', [logits], { axis: { int: 1 } });
  const value = graph.op('Div', [
    graph.op('Neg', [graph.op('ReduceSum', [graph.op('Mul', [rows, logProbabilities])], { keepdims: { int: 0 } })]),
    batch,
  ]);
  const softmax = graph.op('Softmax', [logits], { axis: { int: 1 } });
  const weighted =
    targetKind === 'classIndex'
      ? softmax
      : graph.op('Mul', [softmax, graph.op('ReduceSum', [rows, graph.ints([1], 'axes')], { keepdims: { int: 1 } })]);
  return { target, targetDims, value, gradient: graph.op('Div', [graph.op('Sub', [weighted, rows]), batch]) };
}
