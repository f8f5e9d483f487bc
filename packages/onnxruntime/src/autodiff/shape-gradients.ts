import {
  axisOf,
  flatIndices,
  type GradientContext,
  type GradientRule,
  reshapeLike,
  scatterAddLike,
  unbroadcast,
} from './gradient-context.js';
import { SLICE_TO_END } from './shapes.js';

/**
 * The Pad that puts a Slice's gradient back in place, when the slice is a box known before
 * the model runs (constant bounds, steps of 1, each sliced axis of static size or taken
 * whole); otherwise `undefined`.
 */
function slicePads(c: GradientContext): number[] | undefined {
  const shape = c.shape(c.inputs[0] as string);
  const known = (i: number): readonly (number | string)[] | undefined => (c.inputs[i] ? c.facts(c.inputs[i] as string)?.ints : undefined);
  const starts = known(1);
  const ends = known(2);
  const axes = c.inputs[3] ? known(3) : shape.map((_, i) => i);
  const steps = c.inputs[4] ? known(4) : undefined;
  if (!starts || !ends || !axes || (c.inputs[4] && !steps)) return undefined;
  const pads = new Array<number>(shape.length * 2).fill(0);
  for (let k = 0; k < axes.length; k += 1) {
    const [axisValue, start, end] = [axes[k], starts[k], ends[k]];
    if (typeof axisValue !== 'number' || typeof start !== 'number' || typeof end !== 'number') return undefined;
    if (((steps?.[k] as number | undefined) ?? 1) !== 1) return undefined;
    const axis = axisOf(axisValue, shape.length);
    const size = shape[axis];
    if (typeof size !== 'number') {
      if (start === 0 && end >= SLICE_TO_END) continue;
      return undefined;
    }
    const clamp = (v: number): number => Math.min(size, Math.max(0, v < 0 ? v + size : v));
    const from = clamp(start);
    pads[axis] = from;
    pads[axis + shape.length] = size - Math.max(from, clamp(end));
  }
  return pads;
}

/** Gradients of the operators that move values without changing them. */
export const shapeGradients: Readonly<Record<string, GradientRule>> = {
  Reshape: (c) => [
    c.needs(0) && c.outputGradient(0) ? reshapeLike(c.graph, c.outputGradient(0) as string, c.inputs[0] as string) : undefined,
    undefined,
  ],
  Flatten: (c) => [
    c.needs(0) && c.outputGradient(0) ? reshapeLike(c.graph, c.outputGradient(0) as string, c.inputs[0] as string) : undefined,
  ],
  Squeeze: (c) => [
    c.needs(0) && c.outputGradient(0) ? reshapeLike(c.graph, c.outputGradient(0) as string, c.inputs[0] as string) : undefined,
    undefined,
  ],
  Unsqueeze: (c) => [
    c.needs(0) && c.outputGradient(0) ? reshapeLike(c.graph, c.outputGradient(0) as string, c.inputs[0] as string) : undefined,
    undefined,
  ],
  // Dropout is the identity in the training graph (its inference behaviour, documented).
  Dropout: (c) => [c.needs(0) ? c.outputGradient(0) : undefined, undefined, undefined],
  Cast: (c) => {
    const from = c.facts(c.inputs[0] as string)?.type;
    const to = c.attributes.int('to', 1);
    if (from !== 1 || to !== 1) return [undefined];
    return [c.outputGradient(0)];
  },
  Transpose: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined];
    const rank = c.shape(c.inputs[0] as string).length;
    const perm = c.attributes.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [c.graph.op('Transpose', [g], { perm: { ints: inverse } })];
  },
  Expand: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined, undefined];
    return [unbroadcast(c.graph, g, c.shape(c.outputs[0] as string), c.shape(c.inputs[0] as string)), undefined];
  },
  Concat: (c) => {
    const g = c.outputGradient(0);
    if (!g) return c.inputs.map(() => undefined);
    const rank = c.shape(c.outputs[0] as string).length;
    const axis = axisOf(c.attributes.int('axis', 0), rank);
    const graph = c.graph;
    // Split the gradient by the run-time sizes of the pieces along the axis.
    const sizes = graph.op(
      'Concat',
      c.inputs.map((x) => graph.op('Slice', [graph.op('Shape', [x]), graph.ints([axis], 'start'), graph.ints([axis + 1], 'end')])),
      { axis: { int: 0 } },
    );
    const parts = graph.node('Split', [g, sizes], { axis: { int: axis } }, c.inputs.length);
    return parts.map((part, i) => (c.needs(i) ? part : undefined));
  },
  Slice: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return c.inputs.map(() => undefined);
    const x = c.inputs[0] as string;
    const none = c.inputs.slice(1).map(() => undefined);
    const pads = slicePads(c);
    if (pads) return [c.graph.op('Pad', [g, c.graph.ints(pads, 'pads')]), ...none];
    // Any other slice (steps other than 1, negative steps, run-time bounds): the same Slice of
    // the elements' flat indices says where each gradient element goes.
    const picked = c.graph.op('Slice', [flatIndices(c.graph, x), ...c.inputs.slice(1)]);
    return [scatterAddLike(c.graph, g, picked, x), ...none];
  },
  Gather: (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined, undefined];
    const [data, indices] = c.inputs as [string, string];
    const axis = axisOf(c.attributes.int('axis', 0), c.shape(data).length);
    const graph = c.graph;
    if (axis !== 0) {
      // The same Gather of the elements' flat indices (negative indices read as Gather reads them).
      const picked = graph.op('Gather', [flatIndices(graph, data), indices], { axis: { int: axis } });
      return [scatterAddLike(graph, g, picked, data), undefined];
    }
    // Embeddings: whole rows, without an index per element. Rows gathered more than once get the sum of their gradients.
    const zeros = graph.op('ConstantOfShape', [graph.op('Shape', [data])]);
    const index = graph.op('Cast', [indices], { to: { int: 7 } });
    const rows = graph.op('Gather', [graph.op('Shape', [data]), graph.constant('zero', 'int64', [], [0])], { axis: { int: 0 } });
    // Negative indices count from the end, as Gather reads them.
    const wrapped = graph.op('Where', [
      graph.op('Less', [index, graph.constant('zero', 'int64', [], [0])]),
      graph.op('Add', [index, rows]),
      index,
    ]);
    const where = graph.op('Unsqueeze', [wrapped, graph.ints([-1], 'axes')]);
    return [graph.op('ScatterND', [zeros, where, g], { reduction: 'add' }), undefined];
  },
};
