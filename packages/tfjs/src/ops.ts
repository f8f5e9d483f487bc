import type { Ops } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

const asMask = (mask: tf.Tensor): tf.Tensor => (mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0));

/** Below this size a plain sum is as fast as anything. */
const POOLED_PROBE_MIN_SIZE = 1 << 16;
const poolShapes = new Map<number, readonly [number, number] | null>();

/** [rows, columns] with rows · columns = size and both large (pooling over rows), or null. */
function poolShape(size: number): readonly [number, number] | null {
  const cached = poolShapes.get(size);
  if (cached !== undefined) return cached;
  let shape: readonly [number, number] | null = null;
  for (let columns = 4096; columns >= 64; columns -= 1) {
    if (size % columns === 0 && size / columns >= 16) {
      shape = [size / columns, columns];
      break;
    }
  }
  if (poolShapes.size > 1024) poolShapes.clear();
  poolShapes.set(size, shape);
  return shape;
}

/**
 * A scalar that is not finite whenever an element of `x` is not. On the wasm
 * backend tfjs's sum is scalar code, about 6 elementwise ops' time; XNNPACK's
 * average pooling (over the rows of a [rows, columns] view) reads the tensor
 * about 4 times faster. XNNPACK clamps its output, which turns a NaN into
 * ±Infinity: still not finite, which is all the check needs (tested with NaN,
 * ±Infinity and both). Elsewhere, and for small or awkwardly sized tensors, the sum.
 */
function nonFiniteProbe(x: tf.Tensor): tf.Tensor {
  const shape = tf.getBackend() === 'wasm' && x.size >= POOLED_PROBE_MIN_SIZE ? poolShape(x.size) : null;
  if (shape === null) return tf.sum(x);
  const [rows, columns] = shape;
  return tf.sum(tf.avgPool(tf.reshape(x, [1, rows, 1, columns]) as tf.Tensor4D, [rows, 1], 1, 'valid'));
}

/**
 * Core's optimizer primitives over tfjs tensors (float32, broadcasting), so
 * core's optimizer math runs unchanged on any tfjs backend (cpu, wasm, webgl).
 * Results are new tensors: run a step inside `tf.tidy`. Optimizer state lives
 * in `tf.Variable`s ({@link Ops.persist}) written with {@link Ops.assign}, so
 * nothing leaks across steps. `firstNonFinite` reduces on the device and reads back one scalar (and the
 * tensor itself only when something is not finite).
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: tfjsOps, params: { w: tf.variable(w0) } });
 * tf.tidy(() => runner.step({ w: gradient }));
 * ```
 */
export const tfjsOps: Ops<tf.Tensor> = {
  name: 'tfjs',
  scalar: (value) => tf.scalar(value, 'float32'),
  zerosLike: (x) => tf.zerosLike(x),
  fullLike: (x, value) => tf.add(tf.zerosLike(x), value),
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  addScaled: (a, b, c) => tf.add(a, tf.mul(b, c)),
  neg: (a) => tf.neg(a),
  abs: (a) => tf.abs(a),
  sqrt: (a) => tf.sqrt(a),
  sign: (a) => tf.sign(a),
  maximum: (a, b) => tf.maximum(a, b),
  minimum: (a, b) => tf.minimum(a, b),
  greater: (a, b) => tf.cast(tf.greater(a, b), 'float32'),
  less: (a, b) => tf.cast(tf.less(a, b), 'float32'),
  where: (mask, a, b) => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(mask.shape, a.shape), b.shape);
    return tf.where(tf.broadcastTo(asMask(mask), shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
  },
  sum: (a) => tf.sum(a),
  nonFiniteProbe,
  assign: (target, value) => {
    if (target instanceof tf.Variable) {
      target.assign(value.dtype === target.dtype ? value : tf.cast(value, target.dtype));
      return target;
    }
    return value;
  },
  persist: (x) => tf.variable(x, false),
  size: (x) => x.size,
  firstNonFinite: (x) => {
    // A scalar (the runner first checks the sum of all gradients) needs one read-back; a
    // tensor is reduced on the device first and read only when something is not finite.
    if (x.size === 1) return Number.isFinite(x.dataSync()[0] as number) ? -1 : 0;
    const total = tf.sum(x);
    const finite = Number.isFinite(total.dataSync()[0] as number);
    total.dispose();
    if (finite) return -1;
    const data = x.dataSync();
    for (let i = 0; i < data.length; i += 1) if (!Number.isFinite(data[i] as number)) return i;
    return -1;
  },
};
