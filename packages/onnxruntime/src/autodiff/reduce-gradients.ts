import { axisOf, type GradientContext, type GradientRule, reduceSum, sizeOf } from './gradient-context.js';

/** The reduced axes of a ReduceSum / ReduceMean node (all when none are given), or `undefined` for a no-op. */
function reducedAxes(c: GradientContext, rank: number): number[] | undefined {
  const fromInput = c.node.opType === 'ReduceSum' && c.opset >= 13;
  let axes: readonly (number | string)[] | undefined;
  if (fromInput) {
    axes = c.inputs[1] ? c.facts(c.inputs[1])?.ints : [];
    if (!axes) throw c.fail('ReduceSum needs constant axes to be differentiated');
  } else axes = c.attributes.ints('axes') ?? [];
  if (axes.length === 0) return c.attributes.int('noop_with_empty_axes', 0) === 1 ? undefined : Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => axisOf(a as number, rank));
}

/** Broadcasts a reduction's output gradient back over the input (`1 / count` for a mean). */
function reduction(mean: boolean): GradientRule {
  return (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return c.inputs.map(() => undefined);
    const x = c.inputs[0] as string;
    const y = c.outputs[0] as string;
    const rank = c.shape(x).length;
    const axes = reducedAxes(c, rank);
    if (!axes) return [g, undefined];
    const graph = c.graph;
    const kept = c.attributes.int('keepdims', 1) === 1 ? g : graph.op('Unsqueeze', [g, graph.ints(axes, 'axes')]);
    const spread = graph.op('Expand', [kept, graph.op('Shape', [x])]);
    return [mean ? graph.op('Div', [spread, graph.op('Div', [sizeOf(graph, x), sizeOf(graph, y)])]) : spread, undefined];
  };
}

function softmaxAxis(c: GradientContext): number {
  const rank = c.shape(c.inputs[0] as string).length;
  const axis = axisOf(c.attributes.int('axis', c.opset >= 13 ? -1 : 1), rank);
  if (c.opset < 13 && axis !== rank - 1) throw c.fail('a Softmax of opset < 13 over other than the last axis is not differentiated');
  return axis;
}

/** Reductions and the softmax family. */
export const reduceGradients: Readonly<Record<string, GradientRule>> = {
  ReduceSum: reduction(false),
  ReduceMean: reduction(true),
  // dx = y (g - Σ g y) along the axis.
  Softmax: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined];
    const y = c.outputs[0] as string;
    const graph = c.graph;
    const dot = reduceSum(graph, graph.op('Mul', [g, y]), [softmaxAxis(c)], true);
    return [graph.op('Mul', [y, graph.op('Sub', [g, dot])])];
  },
  // dx = g - e^y Σ g along the axis.
  LogSoftmax: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined];
    const y = c.outputs[0] as string;
    const graph = c.graph;
    const total = reduceSum(graph, g, [softmaxAxis(c)], true);
    return [graph.op('Sub', [g, graph.op('Mul', [graph.op('Exp', [y]), total])])];
  },
};
