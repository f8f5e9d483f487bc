import type { Ops } from '@stepsize/core';
import type { Origin, Recording } from '../onnx/recording-model.js';

/** A value in a traced computation: an id, and its static shape (`[]` for a scalar). */
export interface Traced {
  readonly id: number;
  readonly shape: readonly number[];
}

function broadcast(...shapes: (readonly number[])[]): readonly number[] {
  return shapes.reduce((a, b) => (b.length > a.length ? b : a));
}

/**
 * Records what optimizer math does through core's {@link Ops} (the same
 * definition of the math every backend runs) and turns the recording into an
 * ONNX graph. `ops.scalar(v)` is a constant of the math (a graph constant);
 * per-step numbers (scheduled learning rates, bias corrections) are elements of
 * one `scalars` input ({@link OpsTracer.scalarInputs}), so one graph serves every
 * step of the same structure. Values cannot be read while tracing:
 * `firstNonFinite` throws (the non-finite probe is a graph output instead).
 *
 * @internal The ONNX update path's machinery; not part of the supported API.
 *
 * @example
 * ```ts
 * const tracer = new OpsTracer();
 * const w = tracer.input('param:w', [3]);
 * const { lr } = tracer.scalarInputs(['lr']);
 * const next = tracer.ops.sub(w, tracer.ops.mul(tracer.input('grad:w', [3]), lr));
 * const model = recordingToModel(tracer.recording(), { 'param:w': 'w', 'grad:w': 'g' }, { w: next });
 * ```
 */
export class OpsTracer {
  private readonly origins: Origin[] = [];
  private readonly shapes: (readonly number[])[] = [];
  private readonly inputsByKey = new Map<string, Traced>();
  private scalarCount = 0;
  /** The primitives, recording into this tracer. */
  readonly ops: Ops<Traced>;

  constructor() {
    const op = (name: string, inputs: readonly Traced[], shape = broadcast(...inputs.map((x) => x.shape))): Traced =>
      this.add({ kind: 'op', op: name, inputs: inputs.map((x) => x.id) }, shape);
    this.ops = {
      name: 'onnx (traced)',
      scalar: (value) => this.add({ kind: 'constant', value }, []),
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
      shape: (x) => x.shape,
      reshape: (x, shape) => this.shaped('Reshape', [x], [shape], shape),
      matmul: (a, b, dims) => {
        const { rows, inner, columns, batch } = dims;
        const lead = batch === undefined ? [] : [batch];
        const left = [...lead, ...(dims.transposeA ? [inner, rows] : [rows, inner])];
        const right = [...lead, ...(dims.transposeB ? [columns, inner] : [inner, columns])];
        const flags = [dims.transposeA ? 1 : 0, dims.transposeB ? 1 : 0];
        return this.shaped('MatMul', [a, b], [left, right, flags], [...lead, rows, columns]);
      },
      sumAxis: (x, shape, axis) =>
        this.shaped(
          'ReduceSumAxis',
          [x],
          [shape, [axis]],
          shape.filter((_, i) => i !== axis),
        ),
      firstNonFinite: () => {
        throw new Error('OpsTracer: values cannot be read while tracing (compute a probe and read it after the run)');
      },
    };
  }

  /** A shape-aware operation (see `emitShaped`): `shapes` carry the views, `shape` is the result's. */
  private shaped(op: string, inputs: readonly Traced[], shapes: readonly (readonly number[])[], shape: readonly number[]): Traced {
    return this.add({ kind: 'op', op, inputs: inputs.map((x) => x.id), shapes }, shape);
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

  /** Scalars fed at run time: element `i` of the `scalars` input is the i-th name. */
  scalarInputs(names: readonly string[]): Record<string, Traced> {
    const out: Record<string, Traced> = {};
    for (const name of names) out[name] = this.add({ kind: 'scalarInput', index: this.scalarCount++ }, []);
    return out;
  }

  /** The input key of `value` when it is an input itself (unchanged by the traced step). */
  inputKey(value: Traced): string | undefined {
    const origin = this.origins[value.id];
    return origin?.kind === 'input' ? origin.key : undefined;
  }

  /** The recording, for {@link recordingToModel} (values in id order). */
  recording(): Recording {
    return { origins: this.origins, shapes: this.shapes, scalarCount: this.scalarCount };
  }
}
