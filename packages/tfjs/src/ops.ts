import type { Ops } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { nonFiniteProbe } from './tfjs/non-finite-probe.js';

const asMask = (mask: tf.Tensor): tf.Tensor => (mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0));

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
  readScalar: (x) => x.dataSync()[0] as number,
  shape: (x) => x.shape,
  reshape: (x, shape) => tf.reshape(x, [...shape]),
  matmul: (a, b, dims) => {
    const { rows, inner, columns, batch } = dims;
    const lead = batch === undefined ? [] : [batch];
    const left = tf.reshape(a, [...lead, ...(dims.transposeA ? [inner, rows] : [rows, inner])]);
    const right = tf.reshape(b, [...lead, ...(dims.transposeB ? [columns, inner] : [inner, columns])]);
    return tf.matMul(left, right, dims.transposeA ?? false, dims.transposeB ?? false);
  },
  sumAxis: (x, shape, axis) => tf.sum(tf.reshape(x, [...shape]), axis),
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
