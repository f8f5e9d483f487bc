import { describe, it } from 'vitest';
import type { AttributeValue, Dimension } from '../onnx/graph.js';
import { expectGradients, inferenceModel, randomSource, randomTensor, type Tensor, tensor } from './test-support/finite-differences.js';

const BATCH = 2;
const random = randomSource(113);
const values = (shape: readonly number[], low = -1, high = 1): number[] => Array.from(randomTensor(random, shape, low, high).values);

interface ConvCase {
  readonly label: string;
  readonly input: readonly number[];
  readonly weight: readonly number[];
  readonly bias: boolean;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly output: readonly Dimension[];
}

const CONVOLUTIONS: readonly ConvCase[] = [
  {
    label: '2-D, stride 2, pads [1,0,0,1], dilation 2, 2 groups, bias',
    input: [4, 7, 8],
    weight: [6, 2, 3, 3],
    bias: true,
    attributes: { strides: { ints: [2, 2] }, pads: { ints: [1, 0, 0, 1] }, dilations: { ints: [2, 2] }, group: { int: 2 } },
    output: ['batch', 6, 2, 3],
  },
  {
    label: '1-D, stride 2, pads [1,1], bias',
    input: [3, 9],
    weight: [4, 3, 3],
    bias: true,
    attributes: { strides: { ints: [2] }, pads: { ints: [1, 1] } },
    output: ['batch', 4, 5],
  },
  {
    label: '2-D, strides [1,2], dilations [2,1], pads [0,1,1,0], kernel 2×3',
    input: [2, 7, 9],
    weight: [3, 2, 2, 3],
    bias: true,
    attributes: { strides: { ints: [1, 2] }, pads: { ints: [0, 1, 1, 0] }, dilations: { ints: [2, 1] } },
    output: ['batch', 3, 6, 4],
  },
  {
    label: '2-D depthwise (4 groups of one channel), stride 3',
    input: [4, 6, 6],
    weight: [4, 1, 3, 3],
    bias: true,
    attributes: { strides: { ints: [3, 3] }, group: { int: 4 } },
    output: ['batch', 4, 2, 2],
  },
  {
    label: '2-D, auto_pad SAME_UPPER, stride 2 (the odd padding at the end), no bias',
    input: [2, 5, 6],
    weight: [3, 2, 3, 3],
    bias: false,
    attributes: { auto_pad: 'SAME_UPPER', strides: { ints: [2, 2] } },
    output: ['batch', 3, 3, 3],
  },
];

describe('Conv gradients against finite differences (input scaled per channel by s)', () => {
  for (const c of CONVOLUTIONS)
    it(c.label, async () => {
      const channels = c.input[0] as number;
      const channelShape = [channels, ...c.input.slice(1).map(() => 1)];
      const model = inferenceModel(['batch', ...c.input], (graph, x) => {
        const scaled = graph.op('Mul', [x, graph.initializer('s', channelShape, values(channelShape, 0.5, 1.5))]);
        const inputs = [scaled, graph.initializer('W', c.weight, values(c.weight))];
        if (c.bias) inputs.push(graph.initializer('B', [c.weight[0] as number], values([c.weight[0] as number])));
        graph.output(graph.op('Conv', inputs, c.attributes), 'y', 'float32', c.output);
      });
      await expectGradients(`Conv ${c.label}`, { model, input: randomTensor(random, [BATCH, ...c.input]) });
    });
});

/**
 * An input whose values in each [batch, channel] plane are a shuffle of 0, 0.1, 0.2, ...: with
 * parameters of at most 0.02 added, no pooling window holds a tie within a finite-difference step.
 */
function spacedInput(shape: readonly number[]): Tensor {
  const plane = shape.slice(2).reduce((p, d) => p * d, 1);
  const planes = (shape[0] as number) * (shape[1] as number);
  const order: number[] = [];
  for (let k = 0; k < planes; k += 1) {
    const shuffled = Array.from({ length: plane }, (_, i) => i);
    for (let i = plane - 1; i > 0; i -= 1) {
      const j = Math.floor(random(0, i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
    }
    order.push(...shuffled);
  }
  return tensor(shape, (i) => 0.1 * (order[i] as number) - 0.05 * plane);
}

interface PoolCase {
  readonly label: string;
  readonly op: string;
  readonly input: readonly number[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly output: readonly Dimension[];
  /** MaxPool with its Indices output declared too. */
  readonly indices?: boolean;
}

const POOLS: readonly PoolCase[] = [
  {
    label: 'MaxPool kernel 3, stride 2, pads 1',
    op: 'MaxPool',
    input: [2, 5, 5],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } },
    output: ['batch', 2, 3, 3],
  },
  {
    label: 'MaxPool kernel 2, stride 2, with its Indices output',
    op: 'MaxPool',
    input: [2, 4, 6],
    attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
    output: ['batch', 2, 2, 3],
    indices: true,
  },
  {
    label: 'MaxPool kernel [3,2], stride 2, ceil_mode 1',
    op: 'MaxPool',
    input: [2, 6, 7],
    attributes: { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, ceil_mode: { int: 1 } },
    output: ['batch', 2, 3, 4],
  },
  {
    label: 'MaxPool kernel 2, dilation 2, pads [1,0,0,1]',
    op: 'MaxPool',
    input: [2, 7, 7],
    attributes: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] }, pads: { ints: [1, 0, 0, 1] } },
    output: ['batch', 2, 6, 6],
  },
  {
    label: 'AveragePool kernel [3,2], stride 2, auto_pad SAME_UPPER (count_include_pad 0)',
    op: 'AveragePool',
    input: [2, 5, 6],
    attributes: { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, auto_pad: 'SAME_UPPER' },
    output: ['batch', 2, 3, 3],
  },
  {
    label: 'AveragePool kernel 3, stride 2, pads [1,0,1,1], count_include_pad 0',
    op: 'AveragePool',
    input: [2, 5, 6],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 0, 1, 1] }, count_include_pad: { int: 0 } },
    output: ['batch', 2, 3, 3],
  },
  {
    label: 'AveragePool kernel 3, stride 2, pads 1, count_include_pad 1',
    op: 'AveragePool',
    input: [2, 5, 5],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, count_include_pad: { int: 1 } },
    output: ['batch', 2, 3, 3],
  },
  {
    label: 'AveragePool kernel 3, stride 2, ceil_mode 1 (a partial last row of windows), count_include_pad 0',
    op: 'AveragePool',
    input: [2, 6, 7],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, ceil_mode: { int: 1 } },
    output: ['batch', 2, 3, 3],
  },
  {
    label: 'AveragePool kernel [2,3], stride 2, pads 1, ceil_mode 1, count_include_pad 1',
    op: 'AveragePool',
    input: [2, 6, 8],
    attributes: {
      kernel_shape: { ints: [2, 3] },
      strides: { ints: [2, 2] },
      pads: { ints: [1, 1, 1, 1] },
      ceil_mode: { int: 1 },
      count_include_pad: { int: 1 },
    },
    output: ['batch', 2, 4, 5],
  },
  {
    label: 'AveragePool 1-D kernel 2, stride 1, no pads',
    op: 'AveragePool',
    input: [3, 5],
    attributes: { kernel_shape: { ints: [2] } },
    output: ['batch', 3, 4],
  },
  { label: 'GlobalAveragePool', op: 'GlobalAveragePool', input: [3, 4, 5], attributes: {}, output: ['batch', 3, 1, 1] },
];

describe('pooling gradients against finite differences (x · s per channel + P, P a full [C,H,W] parameter)', () => {
  for (const c of POOLS)
    it(c.label, async () => {
      const channels = c.input[0] as number;
      const channelShape = [channels, ...c.input.slice(1).map(() => 1)];
      const model = inferenceModel(['batch', ...c.input], (graph, x) => {
        const scaled = graph.op('Mul', [x, graph.initializer('s', channelShape, values(channelShape, 0.9, 1.1))]);
        const shifted = graph.op('Add', [scaled, graph.initializer('P', c.input, values(c.input, -0.02, 0.02))]);
        const pooled = graph.node(c.op, [shifted], c.attributes, c.indices ? 2 : 1)[0] as string;
        graph.output(pooled, 'y', 'float32', c.output);
      });
      // Steps of at most 1e-3 · 1.1 keep every window's maximum where it is.
      await expectGradients(c.label, { model, input: spacedInput([BATCH, ...c.input]), step: c.op === 'MaxPool' ? 1e-3 : 1e-2 });
    });
});
