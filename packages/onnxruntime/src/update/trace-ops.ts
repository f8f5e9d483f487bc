import type { Ops } from '@stepsize/core';
import { GraphBuilder, type AttributeValue } from '../onnx/graph.js';

/** A value in a traced computation: an id, and its static shape (`[]` for a scalar). */
export interface Traced {
  readonly id: number;
  readonly shape: readonly number[];
}

/** How a traced value came about. */
type Origin =
  | { readonly kind: 'input'; readonly key: string }
  | { readonly kind: 'scalar'; readonly index: number }
  | { readonly kind: 'op'; readonly op: string; readonly inputs: readonly number[] };

const FLOAT = 1;
const BOOL = 9;

function broadcast(...shapes: (readonly number[])[]): readonly number[] {
  return shapes.reduce((a, b) => (b.length > a.length ? b : a));
}

/**
 * Records what optimizer math does through core's {@link Ops} (the same
 * definition of the math every backend runs) and turns the recording into an
 * ONNX graph. Every {@link Ops.scalar} becomes an element of one `scalars`
 * input vector rather than a constant, so per-step numbers (scheduled learning
 * rates, bias corrections) are fed at run time and one graph serves every
 * step whose sequence of operations is the same ({@link OpsTracer.signature}).
 * {@link Ops.firstNonFinite} cannot read a value while tracing: it records its
 * argument as a probe output (read after the run) and answers "finite".
 *
 * @example
 * ```ts
 * const tracer = new OpsTracer();
 * const w = tracer.input('param:w', [3]);
 * const next = tracer.ops.sub(w, tracer.ops.mul(tracer.input('grad:w', [3]), tracer.ops.scalar(0.1)));
 * const model = tracer.toModel({ 'param:w': 'w' }, { w: next });
 * ```
 */
export class OpsTracer {
  private readonly origins: Origin[] = [];
  private readonly shapes: (readonly number[])[] = [];
  private readonly inputsByKey = new Map<string, Traced>();
  /** Values of the `scalars` input, in the order the math asked for them. */
  readonly scalarValues: number[] = [];
  /** Values given to `firstNonFinite` while tracing (exposed as outputs `probe{i}`). */
  readonly probes: Traced[] = [];
  /** The primitives, recording into this tracer. */
  readonly ops: Ops<Traced>;

  constructor() {
    const op = (name: string, inputs: readonly Traced[], shape = broadcast(...inputs.map((x) => x.shape))): Traced =>
      this.add({ kind: 'op', op: name, inputs: inputs.map((x) => x.id) }, shape);
    this.ops = {
      name: 'onnx (traced)',
      scalar: (value) => {
        this.scalarValues.push(value);
        return this.add({ kind: 'scalar', index: this.scalarValues.length - 1 }, []);
      },
      zerosLike: (x) => op('zerosLike', [x], x.shape),
      fullLike: (x, value) => op('fullLike', [x, value], x.shape),
      add: (a, b) => op('Add', [a, b]),
      sub: (a, b) => op('Sub', [a, b]),
      mul: (a, b) => op('Mul', [a, b]),
      div: (a, b) => op('Div', [a, b]),
      addScaled: (a, b, c) => op('Add', [a, op('Mul', [b, c])]),
      neg: (a) => op('Neg', [a]),
      abs: (a) => op('Abs', [a]),
      sqrt: (a) => op('Sqrt', [a]),
      sign: (a) => op('Sign', [a]),
      maximum: (a, b) => op('Max', [a, b]),
      minimum: (a, b) => op('Min', [a, b]),
      greater: (a, b) => op('greater', [a, b]),
      less: (a, b) => op('less', [a, b]),
      where: (mask, a, b) => op('where', [mask, a, b]),
      sum: (a) => op('ReduceSum', [a], []),
      assign: (_target, value) => value,
      size: (x) => x.shape.reduce((a, b) => a * b, 1),
      firstNonFinite: (x) => {
        this.probes.push(x);
        return -1;
      },
    };
  }

  private add(origin: Origin, shape: readonly number[]): Traced {
    this.origins.push(origin);
    this.shapes.push(shape);
    return { id: this.origins.length - 1, shape };
  }

  /** A named graph input (`key`), created once. */
  input(key: string, shape: readonly number[]): Traced {
    const existing = this.inputsByKey.get(key);
    if (existing) return existing;
    const value = this.add({ kind: 'input', key }, shape);
    this.inputsByKey.set(key, value);
    return value;
  }

  /** The input key of `value` when it is an input itself (unchanged by the traced step). */
  inputKey(value: Traced): string | undefined {
    const origin = this.origins[value.id];
    return origin?.kind === 'input' ? origin.key : undefined;
  }

  /**
   * A string that is the same for two recordings exactly when they perform the
   * same operations on the same kinds of values (scalar values excluded): a
   * graph built for one runs the other with its own scalars.
   */
  signature(outputs: Readonly<Record<string, Traced>>): string {
    const parts = this.origins.map((o, i) => {
      const shape = (this.shapes[i] as readonly number[]).join('x');
      if (o.kind === 'input') return `in:${o.key}:${shape}`;
      if (o.kind === 'scalar') return `s${o.index}`;
      return `${o.op}(${o.inputs.join(',')})`;
    });
    const outs = Object.entries(outputs).map(([name, v]) => `${name}=${v.id}`);
    return `${parts.join(';')}|${outs.join(';')}|probes:${this.probes.map((p) => p.id).join(',')}`;
  }

  /**
   * The recording as an ONNX model: inputs named by `inputNames` (input key →
   * graph input name) plus `scalars` (float32 [K]) when the math used scalars;
   * outputs as given, plus `probe{i}` for each probe. Only what the outputs
   * need is emitted.
   */
  toModel(inputNames: Readonly<Record<string, string>>, outputs: Readonly<Record<string, Traced>>): Uint8Array {
    const graph = new GraphBuilder('stepsize_update');
    const needed = new Set<number>();
    const visit = (id: number): void => {
      if (needed.has(id)) return;
      needed.add(id);
      const origin = this.origins[id];
      if (origin?.kind === 'op') origin.inputs.forEach(visit);
    };
    for (const value of Object.values(outputs)) visit(value.id);
    this.probes.forEach((p) => visit(p.id));
    const names: string[] = [];
    let scalars: string | undefined;
    const attributes = (to: number): Record<string, AttributeValue> => ({ to: { int: to } });
    for (let id = 0; id < this.origins.length; id += 1) {
      if (!needed.has(id)) continue;
      const origin = this.origins[id] as Origin;
      const shape = this.shapes[id] as readonly number[];
      if (origin.kind === 'input') {
        const name = inputNames[origin.key];
        if (name === undefined) throw new Error(`OpsTracer.toModel: no graph input name for "${origin.key}"`);
        names[id] = graph.input(name, 'float32', shape);
        continue;
      }
      if (origin.kind === 'scalar') {
        scalars ??= graph.input('scalars', 'float32', [this.scalarValues.length]);
        names[id] = graph.op('Gather', [scalars, graph.constant('index', 'int64', [], [origin.index])], { axis: { int: 0 } });
        continue;
      }
      const args = origin.inputs.map((i) => names[i] as string);
      names[id] = this.emit(graph, origin.op, args, attributes);
    }
    for (const [name, value] of Object.entries(outputs)) graph.output(names[value.id] as string, name, 'float32', value.shape);
    this.probes.forEach((p, i) => graph.output(names[p.id] as string, `probe${i}`, 'float32', p.shape));
    return graph.toModel('stepsize optimizer update, traced from @stepsize/core');
  }

  private emit(graph: GraphBuilder, op: string, args: string[], cast: (to: number) => Record<string, AttributeValue>): string {
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
}
