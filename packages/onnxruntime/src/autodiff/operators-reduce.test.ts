import { describe, it } from 'vitest';
import type { Dimension } from '../onnx/graph.js';
import { expectGradients, inferenceModel, randomSource, randomTensor } from './test-support/finite-differences.js';

const SHAPE = [3, 3, 4];
const DIMS: Dimension[] = ['batch', 3, 4];
const random = randomSource(83);
const values = (shape: readonly number[]): number[] => Array.from(randomTensor(random, shape).values);

describe('Softmax and LogSoftmax gradients against finite differences (rank 3)', () => {
  for (const op of ['Softmax', 'LogSoftmax'])
    for (const axis of [-1, 1]) {
      // The scale varies along the axis (a shift constant along it would have no gradient at all).
      const scaleShape = axis === -1 ? [4] : [3, 1];
      it(`${op} axis ${axis} of x [batch,3,4] · w [${scaleShape.join(',')}] + b [3,4]`, async () => {
        const model = inferenceModel(DIMS, (graph, x) => {
          const scaled = graph.op('Mul', [x, graph.initializer('w', scaleShape, values(scaleShape))]);
          const logits = graph.op('Add', [scaled, graph.initializer('b', [3, 4], values([3, 4]))]);
          graph.output(graph.op(op, [logits], { axis: { int: axis } }), 'y', 'float32', DIMS);
        });
        await expectGradients(`${op} axis ${axis}`, { model, input: randomTensor(random, SHAPE, -2, 2) });
      });
    }
});

interface ReductionCase {
  readonly label: string;
  /** ReduceSum's axes input (`undefined`: none), or ReduceMean's axes attribute (`undefined`: none). */
  readonly axes: readonly number[] | undefined;
  readonly keepdims: 0 | 1;
  readonly output: readonly Dimension[];
}

const REDUCE_SUM: readonly ReductionCase[] = [
  { label: 'axes [1], keepdims 1', axes: [1], keepdims: 1, output: ['batch', 1, 4] },
  { label: 'axes [-1, 1], keepdims 0', axes: [-1, 1], keepdims: 0, output: ['batch'] },
  { label: 'empty axes (all), keepdims 0', axes: [], keepdims: 0, output: [] },
  { label: 'no axes input (all), keepdims 1', axes: undefined, keepdims: 1, output: [1, 1, 1] },
];

const REDUCE_MEAN: readonly ReductionCase[] = [
  { label: 'axes [2], keepdims 0', axes: [2], keepdims: 0, output: ['batch', 3] },
  { label: 'axes [0, -1] (over the batch), keepdims 1', axes: [0, -1], keepdims: 1, output: [1, 3, 1] },
  { label: 'axes [1], keepdims 1', axes: [1], keepdims: 1, output: ['batch', 1, 4] },
  { label: 'no axes (all), keepdims 0', axes: undefined, keepdims: 0, output: [] },
];

/** `op((x · w [4] + b [3,1])²)`: the square makes the gradient into the reduction vary by element. */
function reductionModel(op: string, reduction: ReductionCase): Uint8Array {
  return inferenceModel(DIMS, (graph, x) => {
    const pre = graph.op('Add', [
      graph.op('Mul', [x, graph.initializer('w', [4], values([4]))]),
      graph.initializer('b', [3, 1], values([3, 1])),
    ]);
    const squared = graph.op('Mul', [pre, pre]);
    const attributes = { keepdims: { int: reduction.keepdims } };
    const reduced =
      op === 'ReduceSum'
        ? graph.op('ReduceSum', reduction.axes ? [squared, graph.ints(reduction.axes, 'axes')] : [squared], attributes)
        : graph.op('ReduceMean', [squared], reduction.axes ? { ...attributes, axes: { ints: reduction.axes } } : attributes);
    graph.output(reduced, 'y', 'float32', reduction.output);
  });
}

describe('ReduceSum (axes input) and ReduceMean (axes attribute) gradients against finite differences', () => {
  for (const [op, cases] of [
    ['ReduceSum', REDUCE_SUM],
    ['ReduceMean', REDUCE_MEAN],
  ] as const)
    for (const reduction of cases)
      it(`${op} of (x · w + b)², ${reduction.label}`, async () => {
        await expectGradients(`${op} ${reduction.label}`, { model: reductionModel(op, reduction), input: randomTensor(random, SHAPE) });
      });
});
