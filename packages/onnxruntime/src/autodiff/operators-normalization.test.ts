import { describe, expect, it } from 'vitest';
import { expectGradients, inferenceModel, randomSource, randomTensor } from './test-support/finite-differences.js';

const BATCH = 3;
const random = randomSource(131);
const values = (shape: readonly number[], low = -1, high = 1): number[] => Array.from(randomTensor(random, shape, low, high).values);

describe('BatchNormalization (inference: running statistics constant) against finite differences', () => {
  for (const rest of [[4, 5], [4], []])
    it(`x [batch,3${rest.map((d) => `,${d}`).join('')}] · s, scale and bias trained, running mean and variance constant`, async () => {
      const shape = [3, ...rest];
      const channelShape = [3, ...rest.map(() => 1)];
      const model = inferenceModel(['batch', ...shape], (graph, x) => {
        const scaled = graph.op('Mul', [x, graph.initializer('s', channelShape, values(channelShape, 0.5, 1.5))]);
        const normalized = graph.op(
          'BatchNormalization',
          [
            scaled,
            graph.initializer('scale', [3], values([3], 0.5, 1.5)),
            graph.initializer('bias', [3], values([3])),
            graph.initializer('running_mean', [3], values([3])),
            graph.initializer('running_var', [3], values([3], 0.5, 2)),
          ],
          { epsilon: 1e-3 },
        );
        graph.output(normalized, 'y', 'float32', ['batch', ...shape]);
      });
      const result = await expectGradients(`BatchNormalization rank ${shape.length + 1}`, {
        model,
        input: randomTensor(random, [BATCH, ...shape]),
      });
      expect(Object.keys(result.analytic).sort()).toEqual(['bias', 's', 'scale']);
    });
});

describe('LayerNormalization (rank 3) with scale and bias against finite differences', () => {
  for (const [axis, normalized] of [
    [-1, [4]],
    [1, [3, 4]],
  ] as const)
    it(`axis ${axis}: over [${normalized.join(',')}], the input x · w [3,4] + b [3,4]`, async () => {
      const model = inferenceModel(['batch', 3, 4], (graph, x) => {
        const pre = graph.op('Add', [
          graph.op('Mul', [x, graph.initializer('w', [3, 4], values([3, 4], 0.5, 1.5))]),
          // A spread of ±2: a normalized group of four with a tiny variance would curve too sharply for the steps.
          graph.initializer('b', [3, 4], values([3, 4], -2, 2)),
        ]);
        const inputs = [
          pre,
          graph.initializer('scale', normalized, values(normalized, 0.5, 1.5)),
          graph.initializer('bias', normalized, values(normalized)),
        ];
        graph.output(graph.op('LayerNormalization', inputs, { axis: { int: axis }, epsilon: 1e-3 }), 'y', 'float32', ['batch', 3, 4]);
      });
      await expectGradients(`LayerNormalization axis ${axis}`, { model, input: randomTensor(random, [BATCH, 3, 4]) });
    });
});
