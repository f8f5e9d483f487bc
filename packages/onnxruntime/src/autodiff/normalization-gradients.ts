import { axisOf, type GradientRule, reduceSum, unbroadcast } from './gradient-context.js';
import { SLICE_TO_END } from './shapes.js';

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** LayerNormalization over the axes from `axis` on: `y = scale (x - μ) / √(σ² + eps) + bias`. */
const layerNormalization: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g) return [undefined, undefined, undefined];
  if (c.outputGradient(1) || c.outputGradient(2)) throw c.fail('its mean and inverse deviation outputs are not differentiated');
  const [x, scale, bias] = c.inputs as [string, string, string | undefined];
  const y = c.outputs[0] as string;
  const shape = c.shape(x);
  const axes = range(axisOf(c.attributes.int('axis', -1), shape.length), shape.length);
  const epsilon = c.attributes.float('epsilon', 1e-5);
  const graph = c.graph;
  const mean = (v: string): string => graph.op('ReduceMean', [v], { axes: { ints: axes }, keepdims: { int: 1 } });
  const centred = graph.op('Sub', [x, mean(x)]);
  const inverse = graph.op('Reciprocal', [
    graph.op('Sqrt', [graph.op('Add', [mean(graph.op('Mul', [centred, centred])), graph.scalar(epsilon)])]),
  ]);
  const normalized = graph.op('Mul', [centred, inverse]);
  const out = c.shape(y);
  const dScale = c.needs(1) ? unbroadcast(graph, graph.op('Mul', [g, normalized]), out, c.shape(scale)) : undefined;
  const dBias = bias && c.needs(2) ? unbroadcast(graph, g, out, c.shape(bias)) : undefined;
  let dX: string | undefined;
  if (c.needs(0)) {
    // dx = (d̂ - mean(d̂) - x̂ mean(d̂ x̂)) / σ, with d̂ = g scale.
    const dNormalized = graph.op('Mul', [g, scale]);
    const inner = graph.op('Sub', [
      graph.op('Sub', [dNormalized, mean(dNormalized)]),
      graph.op('Mul', [normalized, mean(graph.op('Mul', [dNormalized, normalized]))]),
    ]);
    dX = graph.op('Mul', [inner, inverse]);
  }
  return [dX, dScale, dBias];
};

/** BatchNormalization with its inference statistics: `y = scale (x - mean) / √(var + eps) + bias` per channel (axis 1). */
const batchNormalization: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g) return [undefined, undefined, undefined, undefined, undefined];
  if (c.outputs.length > 1 || c.attributes.int('training_mode', 0) === 1)
    throw c.fail(
      'only inference-mode BatchNormalization (running statistics, one output) is differentiated; export the model in eval mode',
    );
  if (c.needs(3) || c.needs(4)) throw c.fail('its running mean and variance are statistics, not trainable parameters: freeze them');
  const [x, scale, , mean, variance] = c.inputs as [string, string, string, string, string];
  const rank = c.shape(x).length;
  const graph = c.graph;
  const otherAxes = [0, ...range(2, rank)];
  const perChannel = (v: string): string => graph.op('Unsqueeze', [v, graph.ints(otherAxes, 'axes')]);
  const inverse = graph.op('Reciprocal', [
    graph.op('Sqrt', [graph.op('Add', [variance, graph.scalar(c.attributes.float('epsilon', 1e-5))])]),
  ]);
  const dX = c.needs(0) ? graph.op('Mul', [g, perChannel(graph.op('Mul', [scale, inverse]))]) : undefined;
  const dScale = c.needs(1)
    ? reduceSum(
        graph,
        graph.op('Mul', [g, graph.op('Mul', [graph.op('Sub', [x, perChannel(mean)]), perChannel(inverse)])]),
        otherAxes,
        false,
      )
    : undefined;
  const dBias = c.needs(2) ? reduceSum(graph, g, otherAxes, false) : undefined;
  return [dX, dScale, dBias, undefined, undefined];
};

/** `Pad` (constant mode): the gradient is the unpadded part. */
const pad: GradientRule = (c) => {
  const g = c.outputGradient(0);
  if (!g || !c.needs(0)) return c.inputs.map(() => undefined);
  if (c.attributes.string('mode', 'constant') !== 'constant') throw c.fail('only constant-mode Pad is differentiated');
  const x = c.inputs[0] as string;
  const rank = c.shape(x).length;
  const pads = c.opset >= 11 ? c.facts(c.inputs[1] as string)?.ints : c.attributes.ints('pads');
  if (!pads || pads.some((p) => typeof p !== 'number')) throw c.fail('Pad needs constant pads to be differentiated');
  let axes = range(0, rank);
  if (c.inputs[3]) {
    const given = c.facts(c.inputs[3])?.ints;
    if (!given) throw c.fail('Pad needs constant axes to be differentiated');
    axes = given.map((a) => axisOf(a as number, rank));
  }
  const count = axes.length;
  const begins = (pads as number[]).slice(0, count);
  const ends = (pads as number[]).slice(count);
  if ([...begins, ...ends].some((p) => p < 0)) throw c.fail('Pad with negative pads (cropping) is not differentiated');
  const graph = c.graph;
  const sliced = graph.op('Slice', [
    g,
    graph.ints(begins, 'start'),
    graph.ints(
      ends.map((e) => (e > 0 ? -e : SLICE_TO_END)),
      'end',
    ),
    graph.ints(axes, 'axes'),
  ]);
  return [sliced, ...c.inputs.slice(1).map(() => undefined)];
};

/** Normalization rules (and Pad, which torch emits before pooling). */
export const normalizationGradients: Readonly<Record<string, GradientRule>> = {
  LayerNormalization: layerNormalization,
  BatchNormalization: batchNormalization,
  Pad: pad,
};
