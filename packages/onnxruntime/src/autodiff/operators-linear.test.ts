import { describe, it } from 'vitest';
import type { Dimension } from '../onnx/graph.js';
import { expectGradients, inferenceModel, randomSource, randomTensor } from './test-support/finite-differences.js';

const BATCH = 2;
const random = randomSource(71);
const values = (shape: readonly number[]): number[] => Array.from(randomTensor(random, shape).values);

describe('MatMul gradients against finite differences', () => {
  it('2-D: (x [batch,4] · s [4]) @ W [4,5] @ V [5,3]', async () => {
    const model = inferenceModel(['batch', 4], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [4], values([4]))]);
      const hidden = graph.op('MatMul', [scaled, graph.initializer('W', [4, 5], values([4, 5]))]);
      graph.output(graph.op('MatMul', [hidden, graph.initializer('V', [5, 3], values([5, 3]))]), 'y', 'float32', ['batch', 3]);
    });
    await expectGradients('MatMul 2-D', { model, input: randomTensor(random, [BATCH, 4]) });
  });

  it('batched [batch,2,3,4] @ W [4,5]: the weight broadcast over two batch axes', async () => {
    const model = inferenceModel(['batch', 2, 3, 4], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [4], values([4]))]);
      graph.output(graph.op('MatMul', [scaled, graph.initializer('W', [4, 5], values([4, 5]))]), 'y', 'float32', ['batch', 2, 3, 5]);
    });
    await expectGradients('MatMul [batch,2,3,4] @ [4,5]', { model, input: randomTensor(random, [BATCH, 2, 3, 4]) });
  });

  it('[batch,3,4] @ P [1,4,5]: the second operand a parameter broadcast along the batch axis', async () => {
    const model = inferenceModel(['batch', 3, 4], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [3, 1], values([3, 1]))]);
      graph.output(graph.op('MatMul', [scaled, graph.initializer('P', [1, 4, 5], values([1, 4, 5]))]), 'y', 'float32', ['batch', 3, 5]);
    });
    await expectGradients('MatMul [batch,3,4] @ [1,4,5]', { model, input: randomTensor(random, [BATCH, 3, 4]) });
  });

  it('Q [3,4] @ (x [batch,4,5] · P [1,4,5]): a 2-D left operand against a batched right one', async () => {
    const model = inferenceModel(['batch', 4, 5], (graph, x) => {
      const right = graph.op('Mul', [x, graph.initializer('P', [1, 4, 5], values([1, 4, 5]))]);
      graph.output(graph.op('MatMul', [graph.initializer('Q', [3, 4], values([3, 4])), right]), 'y', 'float32', ['batch', 3, 5]);
    });
    await expectGradients('MatMul [3,4] @ [batch,4,5]', { model, input: randomTensor(random, [BATCH, 4, 5]) });
  });

  it('[batch,1,3,4] @ W [2,4,5]: batch axes broadcast each way', async () => {
    const model = inferenceModel(['batch', 1, 3, 4], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [4], values([4]))]);
      graph.output(graph.op('MatMul', [scaled, graph.initializer('W', [2, 4, 5], values([2, 4, 5]))]), 'y', 'float32', ['batch', 2, 3, 5]);
    });
    await expectGradients('MatMul [batch,1,3,4] @ [2,4,5]', { model, input: randomTensor(random, [BATCH, 1, 3, 4]) });
  });

  it('1-D right operand: (x [batch,3,4] · s) @ v [4] -> [batch,3]', async () => {
    const model = inferenceModel(['batch', 3, 4], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [4], values([4]))]);
      graph.output(graph.op('MatMul', [scaled, graph.initializer('v', [4], values([4]))]), 'y', 'float32', ['batch', 3]);
    });
    await expectGradients('MatMul [batch,3,4] @ [4]', { model, input: randomTensor(random, [BATCH, 3, 4]) });
  });

  it('1-D left operand: u [3] @ (x [batch,3,5] · s) -> [batch,5]', async () => {
    const model = inferenceModel(['batch', 3, 5], (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('s', [5], values([5]))]);
      graph.output(graph.op('MatMul', [graph.initializer('u', [3], values([3])), scaled]), 'y', 'float32', ['batch', 5]);
    });
    await expectGradients('MatMul [3] @ [batch,3,5]', { model, input: randomTensor(random, [BATCH, 3, 5]) });
  });

  it('both 1-D: u [4] @ v [4], a scalar that scales x [batch,2]', async () => {
    const model = inferenceModel(['batch', 2], (graph, x) => {
      const dot = graph.op('MatMul', [graph.initializer('u', [4], values([4])), graph.initializer('v', [4], values([4]))]);
      graph.output(graph.op('Mul', [x, dot]), 'y', 'float32', ['batch', 2]);
    });
    await expectGradients('MatMul [4] @ [4]', { model, input: randomTensor(random, [BATCH, 2]) });
  });
});

const M = 3;
const K = 4;
const N = 5;
const GEMM_ATTRIBUTES = { alpha: 0.7, beta: 1.3 };

describe('Gemm gradients against finite differences (alpha 0.7, beta 1.3)', () => {
  for (const transA of [0, 1])
    for (const transB of [0, 1])
      for (const bias of [[N], [1, N], [M, N]]) {
        const name = `transA ${transA}, transB ${transB}, C [${bias.join(',')}]`;
        it(`${name}: A [${M},${K}] and B parameters, the [m,n] result times x [batch,${M},${N}]`, async () => {
          const shapeA = transA ? [K, M] : [M, K];
          const shapeB = transB ? [N, K] : [K, N];
          const model = inferenceModel(['batch', M, N], (graph, x) => {
            const gemm = graph.op(
              'Gemm',
              [
                graph.initializer('A', shapeA, values(shapeA)),
                graph.initializer('B', shapeB, values(shapeB)),
                graph.initializer('C', bias, values(bias)),
              ],
              { ...GEMM_ATTRIBUTES, transA: { int: transA }, transB: { int: transB } },
            );
            graph.output(graph.op('Mul', [gemm, x]), 'y', 'float32', ['batch', M, N]);
          });
          await expectGradients(`Gemm ${name}`, { model, input: randomTensor(random, [BATCH, M, N]) });
        });
      }

  for (const transB of [0, 1])
    for (const bias of [[N], [1, N], undefined]) {
      const name = `x [batch,${K}] · s as A, transB ${transB}, ${bias ? `C [${bias.join(',')}]` : 'no C'}`;
      it(name, async () => {
        const shapeB = transB ? [N, K] : [K, N];
        const dims: Dimension[] = ['batch', N];
        const model = inferenceModel(['batch', K], (graph, x) => {
          const a = graph.op('Mul', [x, graph.initializer('s', [K], values([K]))]);
          const inputs = [a, graph.initializer('B', shapeB, values(shapeB))];
          if (bias) inputs.push(graph.initializer('C', bias, values(bias)));
          graph.output(graph.op('Gemm', inputs, { ...GEMM_ATTRIBUTES, transB: { int: transB } }), 'y', 'float32', dims);
        });
        await expectGradients(`Gemm ${name}`, { model, input: randomTensor(random, [BATCH, K]) });
      });
    }
});
