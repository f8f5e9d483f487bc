import type {
  AdabeliefFlags,
  AdabeliefScalar,
  AdabeliefSlot,
  AdemamixFlags,
  AdemamixScalar,
  AdemamixSlot,
  AdoptFlags,
  AdoptScalar,
  AdoptSlot,
  FusedKernel,
  LarsFlags,
  LarsScalar,
  LarsSlot,
  ScheduleFreeFlags,
  ScheduleFreeScalar,
  ScheduleFreeSlot,
} from '@stepsize/core';
import { max32, min32, r } from './kernel-helpers.js';

// Fused kernels of the optimizers that follow optax's conventions, one rounding per
// operation in the order of core's generic math (kernels-optax.test.ts proves them equal).
// optaxMoment(g, m) is g·(1 - d) + m·d; optaxSquareMoment(g, v) is (g·g)·(1 - d) + v·d.

/** AdaBelief (core `adabeliefMath`), optionally Nesterov. */
export const adabelief: FusedKernel<AdabeliefScalar, AdabeliefFlags, AdabeliefSlot> = ({
  param: p,
  grad: g,
  slots,
  scalars: s,
  flags: h,
}) => {
  const nesterov = h.nesterov === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expAvgVar: v } = slots;
  if (!m || !v) throw new Error('adabelief kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const epsRoot = r(s.epsilonRoot);
  const wd = r(s.weightDecay);
  const bc1 = r(s.biasCorrection1);
  const bc1Next = r(s.biasCorrection1Next);
  const bc2 = r(s.biasCorrection2);
  const lr = r(s.negativeLearningRate);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    const gi = g[i] as number;
    const mi = r(r(gi * c1) + r((m[i] as number) * b1));
    const deviation = r(gi - mi);
    const vi = r(r(r(r(deviation * deviation) * c2) + r((v[i] as number) * b2)) + epsRoot);
    m[i] = mi;
    v[i] = vi;
    const first = nesterov ? r(r(r(mi / bc1Next) * b1) + r(r(gi / bc1) * c1)) : r(mi / bc1);
    const direction = r(first / r(r(Math.sqrt(r(vi / bc2))) + eps));
    const update = useWeightDecay ? r(direction + r(pi * wd)) : direction;
    p[i] = r(pi + r(update * lr));
  }
};

/** ADOPT (core `adoptMath`): normalised by the previous second moment, optionally clipped and Nesterov. */
export const adopt: FusedKernel<AdoptScalar, AdoptFlags, AdoptSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const clipping = h.clipping === true;
  const nesterov = h.nesterov === true;
  const { expAvg: m, expAvgSq: v } = slots;
  if (!m || !v) throw new Error('adopt kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const high = r(s.clipValue);
  const low = r(s.negativeClipValue);
  const lr = r(s.negativeLearningRate);
  for (let i = 0; i < p.length; i += 1) {
    const gi = g[i] as number;
    const previous = v[i] as number;
    const normalised = r(gi / max32(r(Math.sqrt(previous)), eps));
    const u = clipping ? min32(max32(normalised, low), high) : normalised;
    const mi = r(r(u * c1) + r((m[i] as number) * b1));
    m[i] = mi;
    v[i] = r(r(r(gi * gi) * c2) + r(previous * b2));
    const update = nesterov ? r(r(u * c1) + r(mi * b1)) : mi;
    p[i] = r((p[i] as number) + r(update * lr));
  }
};

/** AdEMAMix (core `ademamixMath`): fast and slow averages and the second moment. */
export const ademamix: FusedKernel<AdemamixScalar, AdemamixFlags, AdemamixSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvgFast: fast, expAvgSlow: slow, expAvgSq: v } = slots;
  if (!fast || !slow || !v) throw new Error('ademamix kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const b3 = r(s.beta3);
  const c3 = r(s.oneMinusBeta3);
  const alpha = r(s.alpha);
  const eps = r(s.epsilon);
  const epsRoot = r(s.epsilonRoot);
  const wd = r(s.weightDecay);
  const bc1 = r(s.biasCorrection1);
  const bc2 = r(s.biasCorrection2);
  const lr = r(s.negativeLearningRate);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    const gi = g[i] as number;
    const fastAverage = r(r(gi * c1) + r((fast[i] as number) * b1));
    const slowAverage = r(r(gi * c3) + r((slow[i] as number) * b3));
    const vi = r(r(r(gi * gi) * c2) + r((v[i] as number) * b2));
    fast[i] = fastAverage;
    slow[i] = slowAverage;
    v[i] = vi;
    const numerator = r(r(fastAverage / bc1) + r(slowAverage * alpha));
    const denominator = r(r(Math.sqrt(r(r(vi / bc2) + epsRoot))) + eps);
    const direction = r(numerator / denominator);
    const update = useWeightDecay ? r(direction + r(pi * wd)) : direction;
    p[i] = r(pi + r(update * lr));
  }
};

/** LARS (core `larsMath`) in two passes when the trust ratio is on: both norms first, then the update. */
export const lars: FusedKernel<LarsScalar, LarsFlags, LarsSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const nesterov = h.nesterov === true;
  const trustRatio = h.trustRatio === true;
  const useWeightDecay = h.useWeightDecay === true;
  const buffer = slots.momentumBuffer;
  if (!buffer) throw new Error('lars kernel: missing slots');
  const wd = r(s.weightDecay);
  const momentum = r(s.momentum);
  const lr = r(s.negativeLearningRate);
  const direction = (i: number): number => (useWeightDecay ? r((g[i] as number) + r((p[i] as number) * wd)) : (g[i] as number));
  let factor = 1;
  if (trustRatio) {
    // Ops.sum: a float64 sum from the first element on, rounded once; then the float32 norms.
    let paramSquares = 0;
    let updateSquares = 0;
    for (let i = 0; i < p.length; i += 1) {
      const pi = p[i] as number;
      paramSquares += r(pi * pi);
      const ui = direction(i);
      updateSquares += r(ui * ui);
    }
    const paramNorm = r(Math.sqrt(r(paramSquares)));
    const updateNorm = r(Math.sqrt(r(updateSquares)));
    const ratio = r(r(r(s.trustCoefficient) * paramNorm) / r(updateNorm + r(s.epsilon)));
    // where(greater(‖p‖, 0) · greater(‖u‖, 0), ratio, one): NaN norms take `one`.
    factor = paramNorm > r(s.zero) && updateNorm > r(s.zero) ? ratio : r(s.one);
  }
  for (let i = 0; i < p.length; i += 1) {
    const ui = trustRatio ? r(direction(i) * factor) : direction(i);
    const scaled = r(ui * lr);
    const bi = r(scaled + r((buffer[i] as number) * momentum));
    buffer[i] = bi;
    const update = nesterov ? r(scaled + r(bi * momentum)) : bi;
    p[i] = r((p[i] as number) + update);
  }
};

/** Schedule-free AdamW and SGD (core `scheduleFreeMath`): the parameter is `y`, the slot `z`; `adaptive` adds the second moment. */
export const scheduleFree: FusedKernel<ScheduleFreeScalar, ScheduleFreeFlags, ScheduleFreeSlot> = ({
  param: p,
  grad: g,
  slots,
  scalars: s,
  flags: h,
}) => {
  const adaptive = h.adaptive === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { z, expAvgSq: v } = slots;
  if (!z || (adaptive && !v)) throw new Error('schedule-free kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const weight = r(s.averageWeight);
  const keep = r(s.oneMinusAverageWeight);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const bc2 = r(s.biasCorrection2);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const lr = r(s.negativeLearningRate);
  const one = r(s.one);
  for (let i = 0; i < p.length; i += 1) {
    const y = p[i] as number;
    const gi = g[i] as number;
    const zi = z[i] as number;
    let direction = gi;
    if (adaptive && v) {
      const vi = r(r(r(gi * gi) * c2) + r((v[i] as number) * b2));
      v[i] = vi;
      direction = r(r(one / r(r(Math.sqrt(r(vi / bc2))) + eps)) * gi);
    }
    if (useWeightDecay) direction = r(direction + r(y * wd));
    const nextZ = r(zi + r(direction * lr));
    const previousX = r(r(y - r(zi * c1)) / b1);
    const x = r(r(previousX * keep) + r(nextZ * weight));
    z[i] = nextZ;
    p[i] = r(r(x * b1) + r(nextZ * c1));
  }
};
