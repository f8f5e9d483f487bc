import { StepsizeError } from '@stepsize/core';
import type { GraphBuilder } from '../onnx/graph.js';
import type { Attributes, NodeProto } from './onnx-model.js';
import type { Dim, ValueFacts } from './shapes.js';

/** What an operator's gradient rule reads and writes. */
export interface GradientContext {
  /** The training graph being written. */
  readonly graph: GraphBuilder;
  /** The forward node. */
  readonly node: NodeProto;
  readonly attributes: Attributes;
  /** The model's default-domain opset. */
  readonly opset: number;
  /** The forward node's input and output names. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** What is known of a value before the model runs. */
  facts(name: string): ValueFacts | undefined;
  /** A value's dimensions (an error naming the node when they cannot be inferred). */
  shape(name: string): readonly Dim[];
  /** The gradient flowing into output `index`, if any. */
  outputGradient(index: number): string | undefined;
  /** Whether input `index` needs a gradient. */
  needs(index: number): boolean;
  /** An error naming the node (to throw). */
  fail(message: string): StepsizeError;
}

/** An operator's gradient: one entry per input (`undefined`: none). */
export type GradientRule = (c: GradientContext) => (string | undefined)[];

/** The error of a node that cannot be differentiated as written. */
export function nodeError(where: string, node: NodeProto, message: string): StepsizeError {
  return new StepsizeError(`${where} node "${node.name ?? ''}" (${node.opType})`, message, node.opType);
}

/** `ReduceSum(x, axes, keepdims)` in opset 13+ form. */
export function reduceSum(graph: GraphBuilder, x: string, axes: readonly number[], keepdims: boolean): string {
  if (axes.length === 0) return x;
  return graph.op('ReduceSum', [x, graph.ints(axes, 'axes')], { keepdims: { int: keepdims ? 1 : 0 } });
}

/**
 * Sums a gradient of broadcast shape `from` down to the shape `to` of the operand it
 * flows to (numpy broadcasting: the leading axes, and the axes where `to` is 1).
 */
export function unbroadcast(graph: GraphBuilder, gradient: string, from: readonly Dim[], to: readonly Dim[]): string {
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i += 1) {
    if (i < lead) axes.push(i);
    else if (to[i - lead] === 1 && from[i] !== 1) axes.push(i);
  }
  if (axes.length === 0) return gradient;
  const summed = reduceSum(graph, gradient, axes, true);
  if (lead === 0) return summed;
  return graph.op('Squeeze', [
    summed,
    graph.ints(
      Array.from({ length: lead }, (_, i) => i),
      'axes',
    ),
  ]);
}

/** `Reshape(gradient, Shape(like))`: a gradient back to its operand's (run-time) shape. */
export function reshapeLike(graph: GraphBuilder, gradient: string, like: string): string {
  return graph.op('Reshape', [gradient, graph.op('Shape', [like])]);
}

/** Swaps the last two axes of a rank-`rank` value. */
export function transposeLastTwo(graph: GraphBuilder, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return graph.op('Transpose', [x], { perm: { ints: perm } });
}

/** A float32 value `Cast(Size(x))`. */
export function sizeOf(graph: GraphBuilder, x: string): string {
  return graph.op('Cast', [graph.op('Size', [x])], { to: { int: 1 } });
}

/** Normalizes a possibly negative axis. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** `0, 1, …, Size(x) − 1` in int64, shaped like `x`: each element's flat (row-major) index. */
export function flatIndices(graph: GraphBuilder, x: string): string {
  const zero = graph.constant('zero', 'int64', [], [0]);
  const one = graph.constant('one', 'int64', [], [1]);
  return graph.op('Reshape', [graph.op('Range', [zero, graph.op('Size', [x]), one]), graph.op('Shape', [x])]);
}

/**
 * The gradient of an operator that picks elements of `x`: each element of `gradient`
 * added to the element of `x` whose flat index `indices` holds at the same position
 * (ScatterElements with `reduction: 'add'` into zeros shaped like `x`; an element picked
 * twice gets the sum).
 */
export function scatterAddLike(graph: GraphBuilder, gradient: string, indices: string, x: string): string {
  const flat = graph.ints([-1], 'flat');
  const zeros = graph.op('ConstantOfShape', [graph.op('Unsqueeze', [graph.op('Size', [x]), graph.ints([0], 'axes')])]);
  const scattered = graph.op('ScatterElements', [zeros, graph.op('Reshape', [indices, flat]), graph.op('Reshape', [gradient, flat])], {
    axis: { int: 0 },
    reduction: 'add',
  });
  return reshapeLike(graph, scattered, x);
}
