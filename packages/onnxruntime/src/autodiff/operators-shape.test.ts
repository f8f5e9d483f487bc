import { describe, expect, it } from 'vitest';
import type { Dimension, GraphBuilder } from '../onnx/graph.js';
import { expectGradients, inferenceModel, randomSource, randomTensor, type Tensor, tensor } from './test-support/finite-differences.js';

const BATCH = 2;
/** INT64_MAX, Slice's "to the end" as torch exports it (a string: 2 ** 63 - 1 as a number would wrap to INT64_MIN). */
const TO_THE_END = '9223372036854775807';

/** An int64 vector initializer holding exact 64-bit values (`graph.ints` takes numbers, which stop at 2^53). */
function int64s(graph: GraphBuilder, prefix: string, ints: readonly (number | string)[]): string {
  const name = graph.fresh(prefix);
  graph.addInitializer({ name, dims: [ints.length], dataType: 7, int64Data: ints.map(String) });
  return name;
}
const random = randomSource(97);
const values = (shape: readonly number[]): number[] => Array.from(randomTensor(random, shape).values);

/**
 * `v · f(x · w)`: w scales the input along its last axis (`wShape`), f is the operator under
 * test, and v [`vShape`] scales its result, so that both the gradient into f and out of it vary by element.
 */
function movedModel(
  inputDims: readonly Dimension[],
  wShape: readonly number[],
  move: (graph: GraphBuilder, scaled: string) => string,
  vShape: readonly number[],
  outputDims: readonly Dimension[],
): Uint8Array {
  return inferenceModel(inputDims, (graph, x) => {
    const scaled = graph.op('Mul', [x, graph.initializer('w', wShape, values(wShape))]);
    graph.output(graph.op('Mul', [move(graph, scaled), graph.initializer('v', vShape, values(vShape))]), 'y', 'float32', outputDims);
  });
}

const input = (shape: readonly number[]): Tensor => randomTensor(random, shape);

describe('shape operator gradients against finite differences', () => {
  it('Reshape to [0, -1, 2]', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => graph.op('Reshape', [s, graph.ints([0, -1, 2], 'shape')]),
      [2],
      ['batch', 6, 2],
    );
    await expectGradients('Reshape [0,-1,2]', { model, input: input([BATCH, 3, 4]) });
  });

  for (const [axis, vShape, dims] of [
    [1, [12], ['batch', 12]],
    [2, [4], ['rows', 4]],
  ] as const)
    it(`Flatten axis ${axis} of [batch,3,4]`, async () => {
      const model = movedModel(['batch', 3, 4], [4], (graph, s) => graph.op('Flatten', [s], { axis: { int: axis } }), vShape, dims);
      await expectGradients(`Flatten axis ${axis}`, { model, input: input([BATCH, 3, 4]) });
    });

  it('Transpose perm [2, 0, 1]', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => graph.op('Transpose', [s], { perm: { ints: [2, 0, 1] } }),
      [3],
      [4, 'batch', 3],
    );
    await expectGradients('Transpose [2,0,1]', { model, input: input([BATCH, 3, 4]) });
  });

  it('Squeeze axes [2] of [batch,3,1,4]', async () => {
    const model = movedModel(
      ['batch', 3, 1, 4],
      [4],
      (graph, s) => graph.op('Squeeze', [s, graph.ints([2], 'axes')]),
      [3, 1],
      ['batch', 3, 4],
    );
    await expectGradients('Squeeze', { model, input: input([BATCH, 3, 1, 4]) });
  });

  it('Unsqueeze axes [1, -1] of [batch,3,4]', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => graph.op('Unsqueeze', [s, graph.ints([1, -1], 'axes')]),
      [4, 1],
      ['batch', 1, 3, 4, 1],
    );
    await expectGradients('Unsqueeze', { model, input: input([BATCH, 3, 4]) });
  });

  it('Expand of the data [batch,1,4] to [3,1], and of a parameter [3,1] to [1,3,4]', async () => {
    const data = movedModel(
      ['batch', 1, 4],
      [4],
      (graph, s) => graph.op('Expand', [s, graph.ints([3, 1], 'shape')]),
      [3, 4],
      ['batch', 3, 4],
    );
    await expectGradients('Expand data', { model: data, input: input([BATCH, 1, 4]) });
    const parameter = inferenceModel(['batch', 3, 4], (graph, x) => {
      const expanded = graph.op('Expand', [graph.initializer('p', [3, 1], values([3, 1])), graph.ints([1, 3, 4], 'shape')]);
      graph.output(graph.op('Mul', [expanded, x]), 'y', 'float32', ['batch', 3, 4]);
    });
    await expectGradients('Expand parameter', { model: parameter, input: input([BATCH, 3, 4]) });
  });

  it('Concat along axis 1 of x · w [batch,3,4] and a parameter p [2,4] expanded to [batch,2,4] (a run-time shape)', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => {
        const batch = graph.op('Slice', [graph.op('Shape', [s]), graph.ints([0], 'start'), graph.ints([1], 'end')]);
        const shape = graph.op('Concat', [batch, graph.ints([2, 4], 'rest')], { axis: { int: 0 } });
        const rows = graph.op('Unsqueeze', [graph.initializer('p', [2, 4], values([2, 4])), graph.ints([0], 'axes')]);
        return graph.op('Concat', [s, graph.op('Expand', [rows, shape])], { axis: { int: 1 } });
      },
      [5, 1],
      ['batch', 5, 4],
    );
    await expectGradients('Concat', { model, input: input([BATCH, 3, 4]) });
  });

  it('Slice axes [-1, 1], starts [-4, 1], ends [INT64_MAX, 3]; and with no axes (all, the batch axis whole)', async () => {
    const sliced = (axes: boolean) => (graph: GraphBuilder, s: string) =>
      graph.op('Slice', [
        s,
        graph.ints(axes ? [-4, 1] : [0, 1, -4], 'starts'),
        int64s(graph, 'ends', axes ? [TO_THE_END, 3] : [TO_THE_END, 3, TO_THE_END]),
        ...(axes ? [graph.ints([-1, 1], 'axes')] : []),
      ]);
    for (const axes of [true, false]) {
      const model = movedModel(['batch', 3, 6], [6], sliced(axes), [4], ['batch', 2, 4]);
      await expectGradients(`Slice ${axes ? 'axes [-1,1]' : 'all axes'}`, { model, input: input([BATCH, 3, 6]) });
    }
  });

  it('Slice with steps: 2 and 3, a reversal (step -1), step -2 from the end', async () => {
    const cases: [string, number[], (number | string)[], number[], number[], number[]][] = [
      // label, starts, ends, axes, steps, output [rows, columns] of the [3, 7] input
      ['steps [2, 3]', [0, 1], [TO_THE_END, TO_THE_END], [1, 2], [2, 3], [2, 2]],
      ['reversed rows, step -1', [-1], ['-9223372036854775808'], [1], [-1], [3, 7]],
      ['columns from the end, step -2', [5, 0], [-9, 2], [2, 1], [-2, 1], [2, 3]],
    ];
    for (const [label, starts, ends, axes, steps, [rows, columns]] of cases) {
      const model = movedModel(
        ['batch', 3, 7],
        [7],
        (graph, s) =>
          graph.op('Slice', [
            s,
            graph.ints(starts, 'starts'),
            int64s(graph, 'ends', ends),
            graph.ints(axes, 'axes'),
            graph.ints(steps, 'steps'),
          ]),
        [columns as number],
        ['batch', rows as number, columns as number],
      );
      await expectGradients(`Slice ${label}`, { model, input: input([BATCH, 3, 7]) });
    }
  });

  it('Slice with bounds known only when the model runs (rows 1 to the batch size, columns 1 to size − 1)', async () => {
    const model = movedModel(
      ['batch', 3, 6],
      [6],
      (graph, s) => {
        const dims = graph.op('Shape', [s]);
        const at = (axis: number): string => graph.op('Slice', [dims, graph.ints([axis], 'start'), graph.ints([axis + 1], 'end')]);
        const ends = graph.op('Concat', [at(0), graph.op('Sub', [at(2), graph.ints([1], 'one')])], { axis: { int: 0 } });
        return graph.op('Slice', [s, graph.ints([1, 1], 'starts'), ends, graph.ints([0, 2], 'axes')]);
      },
      [4],
      ['rows', 3, 4],
    );
    await expectGradients('Slice run-time bounds', { model, input: input([3, 3, 6]) });
  });

  it('Pad (constant 0.5) with pads [0,1,2, 0,2,1]', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => graph.op('Pad', [s, graph.ints([0, 1, 2, 0, 2, 1], 'pads'), graph.scalar(0.5, 'pad_value')], { mode: 'constant' }),
      [7],
      ['batch', 6, 7],
    );
    const result = await expectGradients('Pad', { model, input: input([BATCH, 3, 4]) });
    expect(Object.keys(result.analytic).sort()).toEqual(['v', 'w']);
  });

  it('Gather of an embedding E [7,3] with constant indices [2,4] (repeated rows, a negative index)', async () => {
    const model = inferenceModel(['batch', 2, 4, 3], (graph, x) => {
      const indices = graph.constant('indices', 'int64', [2, 4], [0, 2, 2, -1, 6, 0, 3, -1]);
      const rows = graph.op('Gather', [graph.initializer('E', [7, 3], values([7, 3])), indices], { axis: { int: 0 } });
      graph.output(graph.op('Mul', [rows, x]), 'y', 'float32', ['batch', 2, 4, 3]);
    });
    await expectGradients('Gather constant indices', { model, input: input([BATCH, 2, 4, 3]) });
  });

  it('Gather of an embedding E [7,3] with token ids from the data (Cast to int64; repeats, negative ids)', async () => {
    const model = inferenceModel(['batch', 4], (graph, x) => {
      const ids = graph.op('Cast', [x], { to: { int: 7 } });
      graph.output(graph.op('Gather', [graph.initializer('E', [7, 3], values([7, 3])), ids]), 'y', 'float32', ['batch', 4, 3]);
    });
    const ids = [1, 5, 1, -2, 3, 3, 0, 6, 5, -7, 2, 5];
    await expectGradients('Gather token ids', { model, input: tensor([3, 4], (i) => ids[i] as number) });
  });

  for (const axis of [1, -1])
    it(`Gather along axis ${axis} of a [3,5] parameter and of the data, indices [2,3] with repeats and a negative one`, async () => {
      const model = inferenceModel(['batch', 3, 5], (graph, x) => {
        const indices = graph.constant('indices', 'int64', [2, 3], [4, 0, 4, -2, 1, 0]);
        const fromParameter = graph.op('Gather', [graph.initializer('P', [3, 5], values([3, 5])), indices], { axis: { int: axis } });
        const scaled = graph.op('Mul', [x, graph.initializer('w', [5], values([5]))]);
        const dataAxis = axis === 1 ? 2 : -1;
        const fromData = graph.op('Gather', [scaled, indices], { axis: { int: dataAxis } });
        // [3,2,3] broadcast against [batch,3,2,3].
        graph.output(graph.op('Mul', [fromParameter, fromData]), 'y', 'float32', ['batch', 3, 2, 3]);
      });
      const result = await expectGradients(`Gather axis ${axis}`, { model, input: input([BATCH, 3, 5]) });
      expect(Object.keys(result.analytic).sort()).toEqual(['P', 'w']);
    });

  it('Identity, Dropout (ratio 0.3: the identity) and Cast float to float', async () => {
    const model = movedModel(
      ['batch', 3, 4],
      [4],
      (graph, s) => {
        const dropped = graph.op('Dropout', [graph.op('Identity', [s]), graph.scalar(0.3, 'ratio')]);
        return graph.op('Cast', [dropped], { to: { int: 1 } });
      },
      [3, 1],
      ['batch', 3, 4],
    );
    const result = await expectGradients('Identity, Dropout, Cast', { model, input: input([BATCH, 3, 4]) });
    expect(Object.keys(result.analytic).sort()).toEqual(['v', 'w']);
  });
});
