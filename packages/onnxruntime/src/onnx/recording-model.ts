import { type AttributeValue, GraphBuilder } from './graph.js';

/** How a traced value came about. */
export type Origin =
  | { readonly kind: 'input'; readonly key: string }
  | { readonly kind: 'scalarInput'; readonly index: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'op'; readonly op: string; readonly inputs: readonly number[]; readonly shapes?: readonly (readonly number[])[] };

/** A traced computation: how every value came about, its shape, and the number of scalar inputs. */
export interface Recording {
  readonly origins: readonly Origin[];
  readonly shapes: readonly (readonly number[])[];
  readonly scalarCount: number;
}

const FLOAT = 1;
const BOOL = 9;

/**
 * A traced recording (`OpsTracer.recording()`) as an ONNX model: inputs named by
 * `inputNames` (input key → graph input name) plus `scalars` (float32 [K]) when
 * scalar inputs are used; outputs as given. Only what the outputs need is emitted.
 */
export function recordingToModel(
  recording: Recording,
  inputNames: Readonly<Record<string, string>>,
  outputs: Readonly<Record<string, { readonly id: number; readonly shape: readonly number[] }>>,
): Uint8Array {
  const { origins, shapes, scalarCount } = recording;
  const graph = new GraphBuilder('stepsize_update');
  const needed = new Set<number>();
  const visit = (id: number): void => {
    if (needed.has(id)) return;
    needed.add(id);
    const origin = origins[id];
    if (origin?.kind === 'op') origin.inputs.forEach(visit);
  };
  for (const value of Object.values(outputs)) visit(value.id);
  const names: string[] = [];
  let scalars: string | undefined;
  const attributes = (to: number): Record<string, AttributeValue> => ({ to: { int: to } });
  for (let id = 0; id < origins.length; id += 1) {
    if (!needed.has(id)) continue;
    const origin = origins[id] as Origin;
    const shape = shapes[id] as readonly number[];
    if (origin.kind === 'input') {
      const name = inputNames[origin.key];
      if (name === undefined) throw new Error(`recordingToModel: no graph input name for "${origin.key}"`);
      names[id] = graph.input(name, 'float32', shape);
    } else if (origin.kind === 'scalarInput') {
      scalars ??= graph.input('scalars', 'float32', [scalarCount]);
      names[id] = graph.op('Gather', [scalars, graph.constant('index', 'int64', [], [origin.index])], { axis: { int: 0 } });
    } else if (origin.kind === 'constant') {
      names[id] = graph.scalar(origin.value);
    } else {
      const args = origin.inputs.map((i) => names[i] as string);
      names[id] =
        origin.shapes === undefined ? emit(graph, origin.op, args, attributes) : emitShaped(graph, origin.op, args, origin.shapes, shape);
    }
  }
  for (const [name, value] of Object.entries(outputs)) graph.output(names[value.id] as string, name, 'float32', value.shape);
  return graph.toModel('stepsize optimizer update, traced from @stepsize/core');
}

/**
 * The shape-aware primitives: `shapes` are the operands' shapes as the math views them
 * (`Reshape`: the target; `MatMul`: each operand as stored, `[batch?, r, c]`, and whether
 * it is read transposed, as a last entry `[transposeA, transposeB]`; `ReduceSumAxis`: the
 * input's view and `[axis]`).
 */
function emitShaped(
  graph: GraphBuilder,
  op: string,
  args: readonly string[],
  shapes: readonly (readonly number[])[],
  result: readonly number[],
): string {
  const view = (x: string, shape: readonly number[]): string => graph.op('Reshape', [x, graph.ints(shape, 'shape')]);
  switch (op) {
    case 'Reshape':
      return view(args[0] as string, result);
    case 'MatMul': {
      const [left, right, flags] = shapes as [readonly number[], readonly number[], readonly number[]];
      const operand = (x: string, shape: readonly number[], transposed: number): string => {
        const viewed = view(x, shape);
        if (!transposed) return viewed;
        const perm = shape.length === 3 ? [0, 2, 1] : [1, 0];
        return graph.op('Transpose', [viewed], { perm: { ints: perm } });
      };
      return graph.op('MatMul', [
        operand(args[0] as string, left, flags[0] as number),
        operand(args[1] as string, right, flags[1] as number),
      ]);
    }
    case 'ReduceSumAxis': {
      const [input, axis] = shapes as [readonly number[], readonly number[]];
      return graph.op('ReduceSum', [view(args[0] as string, input), graph.ints(axis, 'axes')], { keepdims: { int: 0 } });
    }
    default:
      throw new Error(`recordingToModel: no shaped operator ${op}`);
  }
}

function emit(graph: GraphBuilder, op: string, args: string[], cast: (to: number) => Record<string, AttributeValue>): string {
  const [a, b, c] = args as [string, string, string];
  switch (op) {
    case 'zerosLike':
      return graph.op('ConstantOfShape', [graph.op('Shape', [a])]);
    case 'fullLike':
      return graph.op('Expand', [b, graph.op('Shape', [a])]);
    case 'greater':
      return graph.op('Cast', [graph.op('Greater', [a, b])], cast(FLOAT));
    case 'less':
      return graph.op('Cast', [graph.op('Less', [a, b])], cast(FLOAT));
    case 'where':
      return graph.op('Where', [graph.op('Cast', [a], cast(BOOL)), b, c]);
    case 'ReduceSum':
      return graph.op('ReduceSum', [a], { keepdims: { int: 0 } });
    default:
      return graph.op(op, args);
  }
}
