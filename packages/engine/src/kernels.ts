import type {
  FusedKernel,
  KernelTable,
  SgdFlags,
  SgdScalar,
  SgdSlot,
  AdamFlags,
  AdamScalar,
  AdamSlot,
  AdamaxFlags,
  AdamaxScalar,
  AdamaxSlot,
  NadamFlags,
  NadamScalar,
  NadamSlot,
  RadamFlags,
  RadamScalar,
  RadamSlot,
  AdagradFlags,
  AdagradScalar,
  AdagradSlot,
  AdadeltaFlags,
  AdadeltaScalar,
  AdadeltaSlot,
  RmspropFlags,
  RmspropScalar,
  RmspropSlot,
  RpropFlags,
  RpropScalar,
  RpropSlot,
  LionFlags,
  LionScalar,
  LionSlot,
  LambFlags,
  LambScalar,
  LambSlot,
} from '@stepsize/core';
import { fma32, max32, min32, r, sign } from './kernel-helpers.js';
import { adabelief, ademamix, adopt, lars, scheduleFree } from './kernels-optax.js';

/**
 * Fused in-place kernels for every built-in optimizer: one pass over the
 * parameter, no allocation. Each rounds to float32 after every operation in
 * the same order as the optimizer's generic math in core (`optimizers/builtin/<type>.ts`), so
 * the results are bit-for-bit equal to it (kernels.test.ts proves it).
 * Scalars are rounded to float32 like `Ops.scalar`. Kernels allocate nothing.
 * The optax-convention optimizers' kernels are in kernels-optax.ts.
 */

const sgd: FusedKernel<SgdScalar, SgdFlags, SgdSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const nesterov = h.nesterov === true;
  const useDampening = h.useDampening === true;
  const buffer = slots.momentumBuffer;
  const lr = r(s.negativeLearningRate);
  const wd = r(s.weightDecay);
  const decay = r(s.bufferDecay);
  const weight = r(s.gradientWeight);
  const momentum = r(s.momentum);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let d = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) d = fma32(d, pi, wd);
    if (buffer) {
      const decayed = r((buffer[i] as number) * decay);
      const b = useDampening ? fma32(decayed, d, weight) : r(decayed + d);
      buffer[i] = b;
      d = nesterov ? fma32(d, b, momentum) : b;
    }
    p[i] = fma32(pi, d, lr);
  }
};

const adam: FusedKernel<AdamScalar, AdamFlags, AdamSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = slots;
  if (!m || !v) throw new Error('adam kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const decay = r(s.decayFactor);
  const step = r(s.negativeStepSize);
  const bc2 = r(s.biasCorrection2Sqrt);
  const decoupled = h.decoupledWeightDecay === true;
  for (let i = 0; i < p.length; i += 1) {
    let pi = p[i] as number;
    let gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) {
      if (decoupled) pi = r(pi * decay);
      else gi = fma32(gi, pi, wd);
    }
    const mi = fma32(r((m[i] as number) * b1), gi, c1);
    const vi = fma32(r((v[i] as number) * b2), r(gi * c2), gi);
    m[i] = mi;
    v[i] = vi;
    let second = vi;
    if (vMax) {
      second = max32(vMax[i] as number, vi);
      vMax[i] = second;
    }
    const denominator = r(r(r(Math.sqrt(second)) / bc2) + eps);
    p[i] = r(pi + r(r(mi * step) / denominator));
  }
};

const adamax: FusedKernel<AdamaxScalar, AdamaxFlags, AdamaxSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expInf: u } = slots;
  if (!m || !u) throw new Error('adamax kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const step = r(s.negativeStepSize);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const mi = fma32(r((m[i] as number) * b1), gi, c1);
    const ui = max32(r((u[i] as number) * b2), r(Math.abs(gi) + eps));
    m[i] = mi;
    u[i] = ui;
    p[i] = r(pi + r(r(mi * step) / ui));
  }
};

const nadam: FusedKernel<NadamScalar, NadamFlags, NadamSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expAvgSq: v } = slots;
  if (!m || !v) throw new Error('nadam kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const bc2 = r(s.biasCorrection2);
  const gradientStep = r(s.gradientStep);
  const momentumStep = r(s.momentumStep);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = g[i] as number;
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const mi = fma32(r((m[i] as number) * b1), gi, c1);
    const vi = fma32(r((v[i] as number) * b2), r(gi * c2), gi);
    m[i] = mi;
    v[i] = vi;
    const denominator = r(r(Math.sqrt(r(vi / bc2))) + eps);
    const afterGradient = r(pi + r(r(gi * gradientStep) / denominator));
    p[i] = r(afterGradient + r(r(mi * momentumStep) / denominator));
  }
};

const radam: FusedKernel<RadamScalar, RadamFlags, RadamSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expAvgSq: v } = slots;
  if (!m || !v) throw new Error('radam kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const bc1 = r(s.biasCorrection1);
  const rectified = r(s.rectified);
  const scale = r(s.adaptiveScale);
  const lr = r(s.learningRate);
  const rectification = r(s.rectification);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = g[i] as number;
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const mi = fma32(r((m[i] as number) * b1), gi, c1);
    const vi = fma32(r((v[i] as number) * b2), r(gi * c2), gi);
    m[i] = mi;
    v[i] = vi;
    const scaled = r(r(mi / bc1) * lr);
    const adaptive = r(r(1 / r(r(Math.sqrt(vi)) + eps)) * scale);
    const update = rectified !== 0 ? r(r(scaled * adaptive) * rectification) : scaled;
    p[i] = r(pi - update);
  }
};

const adagrad: FusedKernel<AdagradScalar, AdagradFlags, AdagradSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const sum = slots.sum;
  if (!sum) throw new Error('adagrad kernel: missing slots');
  const wd = r(s.weightDecay);
  const eps = r(s.epsilon);
  const step = r(s.negativeStepSize);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const si = fma32(sum[i] as number, gi, gi);
    sum[i] = si;
    const std = r(r(Math.sqrt(si)) + eps);
    p[i] = r(pi + r(r(gi * step) / std));
  }
};

const adadelta: FusedKernel<AdadeltaScalar, AdadeltaFlags, AdadeltaSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { squareAvg: v, accDelta: u } = slots;
  if (!v || !u) throw new Error('adadelta kernel: missing slots');
  const rho = r(s.rho);
  const c = r(s.oneMinusRho);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const lr = r(s.negativeLearningRate);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const vi = fma32(r((v[i] as number) * rho), r(gi * c), gi);
    const std = r(Math.sqrt(r(vi + eps)));
    const ui = u[i] as number;
    const delta = r(r(r(Math.sqrt(r(ui + eps))) / std) * gi);
    v[i] = vi;
    u[i] = fma32(r(ui * rho), r(delta * c), delta);
    p[i] = fma32(pi, delta, lr);
  }
};

const rmsprop: FusedKernel<RmspropScalar, RmspropFlags, RmspropSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { squareAvg: v, momentumBuffer: buffer, gradAvg } = slots;
  if (!v) throw new Error('rmsprop kernel: missing slots');
  const a = r(s.alpha);
  const c = r(s.oneMinusAlpha);
  const eps = r(s.epsilon);
  const wd = r(s.weightDecay);
  const momentum = r(s.momentum);
  const lr = r(s.negativeLearningRate);
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (useWeightDecay) gi = fma32(gi, pi, wd);
    const vi = fma32(r((v[i] as number) * a), r(gi * c), gi);
    v[i] = vi;
    let variance = vi;
    if (gradAvg) {
      const mean = fma32(r((gradAvg[i] as number) * a), gi, c);
      gradAvg[i] = mean;
      variance = Math.max(fma32(vi, -mean, mean), 0);
    }
    const avg = r(r(Math.sqrt(variance)) + eps);
    if (buffer) {
      const b = r(r((buffer[i] as number) * momentum) + r(gi / avg));
      buffer[i] = b;
      p[i] = fma32(pi, b, lr);
    } else {
      p[i] = r(pi + r(r(gi * lr) / avg));
    }
  }
};

const rprop: FusedKernel<RpropScalar, RpropFlags, RpropSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const { prev, stepSize } = slots;
  if (!prev || !stepSize) throw new Error('rprop kernel: missing slots');
  const etaMinus = r(s.etaMinus);
  const etaPlus = r(s.etaPlus);
  const low = r(s.minStepSize);
  const high = r(s.maxStepSize);
  for (let i = 0; i < p.length; i += 1) {
    const gi = maximize ? -(g[i] as number) : (g[i] as number);
    const agreement = r(gi * (prev[i] as number));
    const decreasing = agreement < 0;
    const factor = agreement > 0 ? etaPlus : decreasing ? etaMinus : 1;
    const size = min32(max32(r((stepSize[i] as number) * factor), low), high);
    stepSize[i] = size;
    const kept = decreasing ? 0 : gi;
    prev[i] = kept;
    p[i] = r((p[i] as number) - r(sign(kept) * size));
  }
};

const lion: FusedKernel<LionScalar, LionFlags, LionSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const m = slots.expAvg;
  if (!m) throw new Error('lion kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const decay = r(s.decayFactor);
  const wd = r(s.weightDecay);
  const lr = r(s.negativeLearningRate);
  const optax = h.convention === 'optax';
  for (let i = 0; i < p.length; i += 1) {
    const gi = maximize ? -(g[i] as number) : (g[i] as number);
    const mi = m[i] as number;
    const pi = p[i] as number;
    const direction = sign(r(r(mi * b1) + r(gi * c1)));
    if (optax) {
      // optax: p + (-lr) (sign(c) + wd p).
      const update = useWeightDecay ? r(direction + r(pi * wd)) : direction;
      p[i] = r(pi + r(update * lr));
    } else {
      const decayed = useWeightDecay ? r(pi * decay) : pi;
      p[i] = r(decayed + r(direction * lr));
    }
    m[i] = r(r(mi * b2) + r(gi * c2));
  }
};

/** LAMB in two passes: moments and both norms first, then the trust-ratio update (no scratch memory). */
const lamb: FusedKernel<LambScalar, LambFlags, LambSlot> = ({ param: p, grad: g, slots, scalars: s, flags: h }) => {
  const maximize = h.maximize === true;
  const useWeightDecay = h.useWeightDecay === true;
  const { expAvg: m, expAvgSq: v } = slots;
  if (!m || !v) throw new Error('lamb kernel: missing slots');
  const b1 = r(s.beta1);
  const c1 = r(s.oneMinusBeta1);
  const b2 = r(s.beta2);
  const c2 = r(s.oneMinusBeta2);
  const eps = r(s.epsilon);
  const epsRoot = r(s.epsilonRoot);
  const wd = r(s.weightDecay);
  const bc1 = r(s.biasCorrection1);
  const bc2 = r(s.biasCorrection2);
  const lr = r(s.negativeLearningRate);
  const direction = (i: number): number => {
    const adam = r(r((m[i] as number) / bc1) / r(r(Math.sqrt(r(r((v[i] as number) / bc2) + epsRoot))) + eps));
    return useWeightDecay ? r(adam + r((p[i] as number) * wd)) : adam;
  };
  const optax = h.convention === 'optax';
  let weightSquares = 0;
  let updateSquares = 0;
  for (let i = 0; i < p.length; i += 1) {
    const gi = maximize ? -(g[i] as number) : (g[i] as number);
    if (optax) {
      // optax: (1 - b1) g + b1 m and (1 - b2) g² + b2 v, two products and a sum each.
      m[i] = r(r(gi * c1) + r((m[i] as number) * b1));
      v[i] = r(r(r(gi * gi) * c2) + r((v[i] as number) * b2));
    } else {
      m[i] = fma32(r((m[i] as number) * b1), gi, c1);
      v[i] = fma32(r((v[i] as number) * b2), r(gi * c2), gi);
    }
    const pi = p[i] as number;
    weightSquares += r(pi * pi);
    const ri = direction(i);
    updateSquares += r(ri * ri);
  }
  // Same reductions as the generic path: float64 sums rounded once, then float32 norms.
  const weightNorm = r(Math.sqrt(r(weightSquares)));
  const updateNorm = r(Math.sqrt(r(updateSquares)));
  const trust = weightNorm > 0 && updateNorm > 0 ? r(weightNorm / updateNorm) : 1;
  if (optax) {
    // optax: the trust ratio first, then -lr.
    for (let i = 0; i < p.length; i += 1) p[i] = r((p[i] as number) + r(r(direction(i) * trust) * lr));
    return;
  }
  const scale = r(trust * lr);
  for (let i = 0; i < p.length; i += 1) p[i] = r((p[i] as number) + r(direction(i) * scale));
};

/**
 * The engine's fused kernels, by optimizer type, one for every built-in
 * optimizer (LAMB's and LARS's make two passes: their trust ratios need both
 * norms first; both schedule-free optimizers share one).
 * Each is typed against its optimizer's scalars, flags and slots.
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params, kernels: fusedKernels });
 * ```
 */
export const fusedKernels: KernelTable = {
  sgd,
  adam,
  adamW: adam,
  adamax,
  nadam,
  radam,
  adagrad,
  adadelta,
  rmsprop,
  rprop,
  lion,
  lamb,
  adabelief,
  adopt,
  ademamix,
  lars,
  scheduleFreeAdamW: scheduleFree,
  scheduleFreeSgd: scheduleFree,
};
