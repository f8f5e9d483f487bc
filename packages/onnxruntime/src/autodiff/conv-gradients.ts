import { type GradientContext, type GradientRule, reduceSum, scatterAddLike, sizeOf } from './gradient-context.js';

interface Window {
  readonly spatial: number;
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** Explicit pads, begins then ends. */
  readonly pads: number[];
  /** ConvTranspose's output_padding that gives back the input's size. */
  readonly outputPadding: number[];
}

/** A Conv or pooling node's window, with `auto_pad` made explicit from the static sizes. */
function windowOf(c: GradientContext, kernel: readonly number[]): Window {
  const x = c.shape(c.inputs[0] as string);
  const y = c.shape(c.outputs[0] as string);
  const spatial = x.length - 2;
  const a = c.attributes;
  const strides = a.ints('strides') ?? new Array<number>(spatial).fill(1);
  const dilations = a.ints('dilations') ?? new Array<number>(spatial).fill(1);
  const autoPad = a.string('auto_pad', 'NOTSET');
  const pads = a.ints('pads') ?? new Array<number>(spatial * 2).fill(0);
  const outputPadding: number[] = [];
  for (let i = 0; i < spatial; i += 1) {
    const size = x[i + 2];
    const out = y[i + 2];
    if (typeof size !== 'number' || typeof out !== 'number')
      throw c.fail('its spatial sizes must be fixed in the model to be differentiated');
    const stride = strides[i] as number;
    const span = (dilations[i] as number) * ((kernel[i] as number) - 1) + 1;
    if (autoPad === 'VALID') {
      pads[i] = 0;
      pads[i + spatial] = 0;
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (out - 1) * stride + span - size);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - (pads[i] as number);
    }
    outputPadding.push(size - ((out - 1) * stride + span - (pads[i] as number) - (pads[i + spatial] as number)));
  }
  return { spatial, kernel: [...kernel], strides, dilations, pads, outputPadding };
}

const axesFrom = (start: number, count: number): number[] => Array.from({ length: count }, (_, i) => start + i);
const swapFirstTwo = (rank: number): number[] => [1, 0, ...axesFrom(2, rank - 2)];

/** Conv: dX by ConvTranspose, dW per group by the convolution of X with dY (batch as channels), dB by a sum. */
const conv: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g) return [undefined, undefined, undefined];
  const [x, w, bias] = c.inputs as [string, string, string | undefined];
  const weight = c.shape(w);
  if (weight.slice(2).some((d) => typeof d !== 'number')) throw c.fail('its kernel size must be fixed');
  const kernel = (c.attributes.ints('kernel_shape') ?? weight.slice(2)) as number[];
  const win = windowOf(c, kernel);
  const group = c.attributes.int('group', 1);
  const graph = c.graph;
  const rank = win.spatial + 2;
  let dX: string | undefined;
  if (c.needs(0)) {
    dX = graph.op('ConvTranspose', [g, w], {
      strides: { ints: win.strides },
      dilations: { ints: win.dilations },
      pads: { ints: win.pads },
      group: { int: group },
      kernel_shape: { ints: win.kernel },
      output_padding: { ints: win.outputPadding },
    });
  }
  let dW: string | undefined;
  if (c.needs(1)) {
    const outChannels = weight[0] as number;
    const inPerGroup = weight[1] as number;
    const outPerGroup = outChannels / group;
    const parts: string[] = [];
    for (let k = 0; k < group; k += 1) {
      const slice = (value: string, from: number, count: number): string =>
        group === 1
          ? value
          : graph.op('Slice', [value, graph.ints([from], 'start'), graph.ints([from + count], 'end'), graph.ints([1], 'axes')]);
      const xt = graph.op('Transpose', [slice(x, k * inPerGroup, inPerGroup)], { perm: { ints: swapFirstTwo(rank) } });
      const gt = graph.op('Transpose', [slice(g, k * outPerGroup, outPerGroup)], { perm: { ints: swapFirstTwo(rank) } });
      // [C/G, M/G, K'] with K' >= K: the window's strides and dilations trade places.
      const full = graph.op('Conv', [xt, gt], {
        strides: { ints: win.dilations },
        dilations: { ints: win.strides },
        pads: { ints: win.pads },
      });
      const cut = graph.op('Slice', [
        full,
        graph.ints(new Array(win.spatial).fill(0), 'start'),
        graph.ints(win.kernel, 'end'),
        graph.ints(axesFrom(2, win.spatial), 'axes'),
      ]);
      parts.push(graph.op('Transpose', [cut], { perm: { ints: swapFirstTwo(rank) } }));
    }
    dW = parts.length === 1 ? parts[0] : graph.op('Concat', parts, { axis: { int: 0 } });
  }
  const dB = bias && c.needs(2) ? reduceSum(graph, g, [0, ...axesFrom(2, win.spatial)], false) : undefined;
  return [dX, dW, dB];
};

/** MaxPool: the gradient goes to the element each window chose (its flat index), summed where windows overlap. */
const maxPool: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g || !c.needs(0)) return [undefined];
  const x = c.inputs[0] as string;
  const graph = c.graph;
  let indices = c.outputs[1];
  if (!indices) {
    const names = [graph.fresh('maxpool_values'), graph.fresh('maxpool_indices')];
    graph.addNode({ opType: 'MaxPool', name: graph.fresh('node_MaxPool'), input: [x], output: names, attribute: c.node.attribute ?? [] });
    indices = names[1] as string;
  }
  if (c.attributes.int('storage_order', 0) !== 0) throw c.fail('MaxPool with storage_order 1 is not differentiated');
  return [scatterAddLike(graph, g, indices, x)];
};

/**
 * AveragePool: each window's gradient, divided by its count, spread back by a depthwise
 * ConvTranspose of ones. With `ceil_mode` 1 the last windows may run past the padded input:
 * the end padding is widened to cover them, and each window's divisor is read off the pool
 * itself (the pool of ones over the in-bounds elements it counts), whatever
 * `count_include_pad` makes of the partial windows.
 */
const averagePool: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g || !c.needs(0)) return [undefined];
  const x = c.inputs[0] as string;
  const shape = c.shape(x);
  const channels = shape[1];
  if (typeof channels !== 'number') throw c.fail('its channel count must be fixed to be differentiated');
  const kernel = c.attributes.ints('kernel_shape') ?? [];
  const win = windowOf(c, kernel);
  const graph = c.graph;
  const windowSize = kernel.reduce((p, k) => p * k, 1);
  const ceil = c.attributes.int('ceil_mode', 0) === 1;
  const includePad = c.attributes.int('count_include_pad', 0) === 1;
  // The pads that make every window lie inside the padded input (more at the end only with ceil_mode).
  const pads = [...win.pads];
  const outputPadding = win.outputPadding.map((extra, i) => {
    if (extra >= 0) return extra;
    pads[i + win.spatial] = (pads[i + win.spatial] as number) - extra;
    return 0;
  });
  const onesLike = (): string => {
    const onesShape = graph.op('Concat', [graph.ints([1, 1], 'ones_shape'), graph.op('Shape', [x], { start: { int: 2 } })], {
      axis: { int: 0 },
    });
    return graph.op('ConstantOfShape', [onesShape], { value: { tensor: { dims: [1], dataType: 1, floatData: [1] } } });
  };
  const window = { kernel_shape: { ints: kernel }, strides: { ints: win.strides } };
  let scaled: string;
  if (ceil) {
    // 1 / divisor = (the pool of ones) / (the in-bounds elements of the window, a sum of ones).
    const ones = onesLike();
    const pooled = graph.op('AveragePool', [ones], {
      ...window,
      pads: { ints: win.pads },
      ceil_mode: { int: 1 },
      count_include_pad: { int: includePad ? 1 : 0 },
    });
    const kernelOnes = graph.constant('pool_ones', 'float32', [1, 1, ...kernel], new Float32Array(windowSize).fill(1));
    const inBounds = graph.op('Conv', [ones, kernelOnes], { ...window, pads: { ints: pads } });
    scaled = graph.op('Mul', [g, graph.op('Div', [pooled, graph.op('Max', [inBounds, graph.scalar(1)])])]);
  } else if (includePad || !win.pads.some((p) => p > 0)) scaled = graph.op('Div', [g, graph.scalar(windowSize)]);
  else {
    // The elements inside each window: the pool of ones, with padding counted as zeros, times the window size.
    const counted = graph.op('AveragePool', [onesLike()], { ...window, pads: { ints: win.pads }, count_include_pad: { int: 1 } });
    scaled = graph.op('Div', [g, graph.op('Mul', [counted, graph.scalar(windowSize)])]);
  }
  const ones = graph.constant('pool_ones', 'float32', [channels, 1, ...kernel], new Float32Array(channels * windowSize).fill(1));
  return [
    graph.op('ConvTranspose', [scaled, ones], {
      ...window,
      pads: { ints: pads },
      group: { int: channels },
      output_padding: { ints: outputPadding },
    }),
  ];
};

/** GlobalAveragePool: the gradient spread evenly over each channel's positions. */
const globalAveragePool: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g || !c.needs(0)) return [undefined];
  const x = c.inputs[0] as string;
  const graph = c.graph;
  const spread = graph.op('Expand', [g, graph.op('Shape', [x])]);
  return [graph.op('Div', [spread, graph.op('Div', [sizeOf(graph, x), sizeOf(graph, c.outputs[0] as string)])])];
};

/** Convolution and pooling rules. */
export const convGradients: Readonly<Record<string, GradientRule>> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
