import { describe, expect, it } from 'vitest';
import type { AttributeValue, GraphBuilder } from '../onnx/graph.js';
import {
  awayFromZero,
  checkGradients,
  expectGradients,
  inferenceModel,
  randomSource,
  randomTensor,
  type Tensor,
  tensor,
} from './test-support/finite-differences.js';
import { worstRelativeError } from './test-support/torch-fixtures.js';

const BATCH = 3;
const SHAPE = [BATCH, 3, 4];
const DIMS = ['batch', 3, 4];
type Random = ReturnType<typeof randomSource>;

/** Operand values by operator: positive where a logarithm or a division needs it. */
const BINARY_RANGES: Record<string, { input: [number, number]; parameter: [number, number] }> = {
  Add: { input: [-1, 1], parameter: [-1, 1] },
  Sub: { input: [-1, 1], parameter: [-1, 1] },
  Mul: { input: [-1, 1], parameter: [-1, 1] },
  Div: { input: [0.5, 1.5], parameter: [0.5, 1.5] },
  Pow: { input: [0.5, 1.5], parameter: [0.5, 1.5] },
};

describe('binary elementwise gradients against finite differences, broadcasting both ways', () => {
  for (const [op, range] of Object.entries(BINARY_RANGES)) {
    const random = randomSource(op.length * 101);
    const parameter = (shape: number[]): number[] => Array.from(randomTensor(random, shape, ...range.parameter).values);
    it(`${op}(x [batch,3,4], a [4]): the parameter on the right`, async () => {
      const model = inferenceModel(DIMS, (graph, x) => {
        graph.output(graph.op(op, [x, graph.initializer('a', [4], parameter([4]))]), 'y', 'float32', DIMS);
      });
      await expectGradients(`${op} right [4]`, { model, input: randomTensor(random, SHAPE, ...range.input) });
    });
    it(`${op}(c [3,1], x [batch,3,4]): the parameter on the left`, async () => {
      const model = inferenceModel(DIMS, (graph, x) => {
        graph.output(graph.op(op, [graph.initializer('c', [3, 1], parameter([3, 1])), x]), 'y', 'float32', DIMS);
      });
      await expectGradients(`${op} left [3,1]`, { model, input: randomTensor(random, SHAPE, ...range.input) });
    });
    it(`${op}(b [1,4], c [3,1]) · x: both operands parameters, each broadcast along the other's axis`, async () => {
      const model = inferenceModel(DIMS, (graph, x) => {
        const both = graph.op(op, [graph.initializer('b', [1, 4], parameter([1, 4])), graph.initializer('c', [3, 1], parameter([3, 1]))]);
        graph.output(graph.op('Mul', [both, x]), 'y', 'float32', DIMS);
      });
      await expectGradients(`${op} [1,4] with [3,1]`, { model, input: randomTensor(random, SHAPE) });
    });
  }
});

interface UnaryCase {
  readonly op: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** The operator's input values (away from kinks, inside its domain). */
  readonly domain: (random: Random, length: number) => number[];
}

const uniform =
  (low: number, high: number) =>
  (random: Random, length: number): number[] =>
    Array.from({ length }, () => random(low, high));

const UNARY: readonly UnaryCase[] = [
  { op: 'Neg', domain: uniform(-2, 2) },
  { op: 'Identity', domain: uniform(-2, 2) },
  { op: 'Relu', domain: awayFromZero },
  { op: 'LeakyRelu', attributes: { alpha: 0.2 }, domain: awayFromZero },
  { op: 'Tanh', domain: uniform(-2, 2) },
  { op: 'Sigmoid', domain: uniform(-3, 3) },
  { op: 'Exp', domain: uniform(-1.5, 1.5) },
  { op: 'Log', domain: uniform(0.3, 2) },
  { op: 'Sqrt', domain: uniform(0.3, 2) },
  { op: 'Erf', domain: uniform(-2, 2) },
  { op: 'Abs', domain: awayFromZero },
  { op: 'Softplus', domain: uniform(-3, 3) },
  { op: 'Reciprocal', domain: (random, length) => awayFromZero(random, length, 0.4) },
];

/**
 * `op(x · w + b)`, w [4] and b [3,1] parameters, with x chosen so that the operator's input
 * takes the values of `domain` at the initial parameters.
 */
function unaryCase(
  op: string,
  build: (graph: GraphBuilder, pre: string) => string,
  seed: number,
  domain: UnaryCase['domain'],
): { label: string; model: Uint8Array; input: Tensor } {
  const random = randomSource(seed);
  const w = awayFromZero(random, 4, 0.5);
  const b = Array.from({ length: 3 }, () => random(-0.5, 0.5));
  const pre = domain(
    random,
    SHAPE.reduce((p, d) => p * d),
  );
  const input = tensor(SHAPE, (i) => ((pre[i] as number) - (b[Math.floor(i / 4) % 3] as number)) / (w[i % 4] as number));
  const model = inferenceModel(DIMS, (graph, x) => {
    const affine = graph.op('Add', [graph.op('Mul', [x, graph.initializer('w', [4], w)]), graph.initializer('b', [3, 1], b)]);
    graph.output(build(graph, affine), 'y', 'float32', DIMS);
  });
  return { label: op, model, input };
}

describe('unary elementwise gradients against finite differences (through x · w [4] + b [3,1])', () => {
  UNARY.forEach(({ op, attributes, domain }, k) => {
    it(`${op}${attributes ? ` ${JSON.stringify(attributes)}` : ''}`, async () => {
      const { label, model, input } = unaryCase(op, (graph, pre) => graph.op(op, [pre], attributes), 500 + k, domain);
      await expectGradients(label, { model, input });
    });
  });

  it('the GELU pattern x · 0.5 · (1 + Erf(x / √2)), its constants trained too', async () => {
    const { model, input } = unaryCase(
      'GELU',
      (graph, pre) => {
        const erf = graph.op('Erf', [graph.op('Div', [pre, graph.scalar(Math.SQRT2, 'root_two')])]);
        return graph.op('Mul', [graph.op('Mul', [pre, graph.scalar(0.5, 'half')]), graph.op('Add', [graph.scalar(1, 'one'), erf])]);
      },
      601,
      uniform(-2.5, 2.5),
    );
    const result = await expectGradients('GELU pattern', { model, input });
    expect(Object.keys(result.analytic).sort()).toEqual(['b', 'half', 'one', 'root_two', 'w']);
  });

  it('Pow(x · w + b, 2) with negative bases (the exponent frozen: its gradient needs a positive base)', async () => {
    const { model, input } = unaryCase(
      'Pow',
      (graph, pre) => graph.op('Pow', [pre, graph.initializer('exponent', [], [2])]),
      603,
      uniform(-2, 2),
    );
    await expectGradients('Pow negative base', { model, input, options: { frozen: ['exponent'] } });
  });

  it('Where with a constant condition: both branches parameters, broadcast', async () => {
    const random = randomSource(602);
    const condition = Array.from({ length: 12 }, (_, i) => (i * 7) % 3 !== 0);
    const model = inferenceModel(DIMS, (graph, x) => {
      const chosen = graph.op('Where', [
        graph.constant('condition', 'bool', [3, 4], condition.map(Number)),
        graph.op('Mul', [x, graph.initializer('a', [4], [0.5, -1.2, 0.8, 1.5])]),
        graph.initializer('b', [3, 1], [0.3, -0.7, 1.1]),
      ]);
      graph.output(chosen, 'y', 'float32', DIMS);
    });
    await expectGradients('Where', { model, input: randomTensor(random, SHAPE) });
  });
});

describe('the finite-difference comparison', () => {
  it('detects a wrong gradient: another parameter’s, or the right one 3 % off', async () => {
    const random = randomSource(604);
    const model = inferenceModel(DIMS, (graph, x) => {
      const ax = graph.op('Mul', [x, graph.initializer('a', [4], [0.5, -1.2, 0.8, 1.5])]);
      graph.output(graph.op('Mul', [ax, graph.initializer('b', [4], [1.1, 0.4, -0.9, 0.7])]), 'y', 'float32', DIMS);
    });
    const result = await checkGradients({ model, input: randomTensor(random, SHAPE) });
    const analyticA = result.analytic.a as Float32Array;
    const numericA = Array.from(result.numeric.a as Float64Array);
    expect(worstRelativeError(analyticA, numericA)).toBeLessThan(1e-2);
    const swapped = worstRelativeError(analyticA, Array.from(result.numeric.b as Float64Array));
    const scaled = worstRelativeError(
      analyticA.map((v) => v * 1.03),
      numericA,
    );
    console.log(`wrong gradients: another parameter's ${swapped.toExponential(2)}, 3 % off ${scaled.toExponential(2)}`);
    expect(swapped).toBeGreaterThan(0.1);
    expect(scaled).toBeGreaterThan(1e-2);
  });
});
