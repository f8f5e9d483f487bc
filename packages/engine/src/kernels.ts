import type { FusedKernel, KernelProvider } from '@stepsize/core';

/**
 * Fused in-place kernels for every built-in optimizer: one pass over the
 * parameter, no allocation. Each rounds to float32 after every operation in
 * the same order as the generic composition in core (`optimizers/math`), so
 * the results are bit-for-bit equal to it (kernels.test.ts proves it).
 * Scalars are rounded to float32 like `Ops.scalar`.
 */
const r = Math.fround;

type Arrays = Record<string, Float32Array>;
type Flags = Record<string, unknown>;
type Kernel = FusedKernel<Float32Array>;

function scalarsOf(scalars: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(scalars)) out[key] = r(value);
  return out;
}

const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN);
const max32 = (x: number, y: number): number => (x !== x || y !== y ? NaN : x > y ? x : y);
const min32 = (x: number, y: number): number => (x !== x || y !== y ? NaN : x < y ? x : y);

const sgd: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const buffer = (slots as Arrays).momentumBuffer;
  const lr = s.negativeLearningRate as number;
  const wd = s.weightDecay as number;
  const decay = s.bufferDecay as number;
  const weight = s.gradientWeight as number;
  const momentum = s.momentum as number;
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let d = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) d = r(d + r(pi * wd));
    if (buffer) {
      const b = r(r((buffer[i] as number) * decay) + r(d * weight));
      buffer[i] = b;
      d = h.nesterov ? r(d + r(b * momentum)) : b;
    }
    p[i] = r(pi + r(d * lr));
  }
};

const adam: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = slots as Arrays;
  if (!m || !v) throw new Error('adam kernel: missing slots');
  const [b1, c1, b2, c2, eps, wd, decay, step, bc2] = [
    s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.epsilon, s.weightDecay, s.decayFactor,
    s.negativeStepSize, s.biasCorrection2Sqrt,
  ] as number[];
  const decoupled = h.decoupledWeightDecay === true;
  for (let i = 0; i < p.length; i += 1) {
    let pi = p[i] as number;
    let gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) {
      if (decoupled) pi = r(pi * (decay as number));
      else gi = r(gi + r(pi * (wd as number)));
    }
    const mi = r(r((m[i] as number) * (b1 as number)) + r(gi * (c1 as number)));
    const vi = r(r((v[i] as number) * (b2 as number)) + r(r(gi * gi) * (c2 as number)));
    m[i] = mi;
    v[i] = vi;
    let second = vi;
    if (vMax) {
      second = max32(vMax[i] as number, vi);
      vMax[i] = second;
    }
    const denominator = r(r(r(Math.sqrt(second)) / (bc2 as number)) + (eps as number));
    p[i] = r(pi + r(r(mi / denominator) * (step as number)));
  }
};

const adamax: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { expAvg: m, expInf: u } = slots as Arrays;
  if (!m || !u) throw new Error('adamax kernel: missing slots');
  const [b1, c1, b2, eps, wd, step] = [s.beta1, s.oneMinusBeta1, s.beta2, s.epsilon, s.weightDecay, s.negativeStepSize] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const mi = r(r((m[i] as number) * (b1 as number)) + r(gi * (c1 as number)));
    const ui = max32(r((u[i] as number) * (b2 as number)), r(Math.abs(gi) + (eps as number)));
    m[i] = mi;
    u[i] = ui;
    p[i] = r(pi + r(r(mi / ui) * (step as number)));
  }
};

const nadam: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { expAvg: m, expAvgSq: v } = slots as Arrays;
  if (!m || !v) throw new Error('nadam kernel: missing slots');
  const [b1, c1, b2, c2, eps, wd, bc2, gradientStep, momentumStep] = [
    s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.epsilon, s.weightDecay, s.biasCorrection2,
    s.gradientStep, s.momentumStep,
  ] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = g[i] as number;
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const mi = r(r((m[i] as number) * (b1 as number)) + r(gi * (c1 as number)));
    const vi = r(r((v[i] as number) * (b2 as number)) + r(r(gi * gi) * (c2 as number)));
    m[i] = mi;
    v[i] = vi;
    const denominator = r(r(Math.sqrt(r(vi / (bc2 as number)))) + (eps as number));
    const afterGradient = r(pi + r(r(gi / denominator) * (gradientStep as number)));
    p[i] = r(afterGradient + r(r(mi / denominator) * (momentumStep as number)));
  }
};

const radam: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { expAvg: m, expAvgSq: v } = slots as Arrays;
  if (!m || !v) throw new Error('radam kernel: missing slots');
  const [b1, c1, b2, c2, eps, wd, bc1, rectified, scale, lr] = [
    s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.epsilon, s.weightDecay, s.biasCorrection1,
    s.rectified, s.adaptiveScale, s.negativeLearningRate,
  ] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = g[i] as number;
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const mi = r(r((m[i] as number) * (b1 as number)) + r(gi * (c1 as number)));
    const vi = r(r((v[i] as number) * (b2 as number)) + r(r(gi * gi) * (c2 as number)));
    m[i] = mi;
    v[i] = vi;
    const corrected = r(mi / (bc1 as number));
    const adaptive = r((scale as number) / r(r(Math.sqrt(vi)) + (eps as number)));
    const factor = rectified !== 0 ? adaptive : 1;
    p[i] = r(pi + r(r(corrected * factor) * (lr as number)));
  }
};

const adagrad: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const sum = (slots as Arrays).sum;
  if (!sum) throw new Error('adagrad kernel: missing slots');
  const [wd, eps, step] = [s.weightDecay, s.epsilon, s.negativeStepSize] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const si = r((sum[i] as number) + r(gi * gi));
    sum[i] = si;
    const std = r(r(Math.sqrt(si)) + (eps as number));
    p[i] = r(pi + r(r(gi / std) * (step as number)));
  }
};

const adadelta: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { squareAvg: v, accDelta: u } = slots as Arrays;
  if (!v || !u) throw new Error('adadelta kernel: missing slots');
  const [rho, c, eps, wd, lr] = [s.rho, s.oneMinusRho, s.epsilon, s.weightDecay, s.negativeLearningRate] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const vi = r(r((v[i] as number) * (rho as number)) + r(r(gi * gi) * (c as number)));
    const std = r(Math.sqrt(r(vi + (eps as number))));
    const ui = u[i] as number;
    const delta = r(r(r(Math.sqrt(r(ui + (eps as number)))) / std) * gi);
    v[i] = vi;
    u[i] = r(r(ui * (rho as number)) + r(r(delta * delta) * (c as number)));
    p[i] = r(pi + r(delta * (lr as number)));
  }
};

const rmsprop: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { squareAvg: v, momentumBuffer: buffer, gradAvg } = slots as Arrays;
  if (!v) throw new Error('rmsprop kernel: missing slots');
  const [a, c, eps, wd, momentum, lr] = [s.alpha, s.oneMinusAlpha, s.epsilon, s.weightDecay, s.momentum, s.negativeLearningRate] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const pi = p[i] as number;
    let gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    if (h.useWeightDecay) gi = r(gi + r(pi * (wd as number)));
    const vi = r(r((v[i] as number) * (a as number)) + r(r(gi * gi) * (c as number)));
    v[i] = vi;
    let variance = vi;
    if (gradAvg) {
      const mean = r(r((gradAvg[i] as number) * (a as number)) + r(gi * (c as number)));
      gradAvg[i] = mean;
      variance = r(vi - r(mean * mean));
    }
    const avg = r(r(Math.sqrt(variance)) + (eps as number));
    if (buffer) {
      const b = r(r((buffer[i] as number) * (momentum as number)) + r(gi / avg));
      buffer[i] = b;
      p[i] = r(pi + r(b * (lr as number)));
    } else {
      p[i] = r(pi + r(r(gi / avg) * (lr as number)));
    }
  }
};

const rprop: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const { prev, stepSize } = slots as Arrays;
  if (!prev || !stepSize) throw new Error('rprop kernel: missing slots');
  const [etaMinus, etaPlus, low, high] = [s.etaMinus, s.etaPlus, s.minStepSize, s.maxStepSize] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    const agreement = r(gi * (prev[i] as number));
    const decreasing = agreement < 0;
    const factor = agreement > 0 ? (etaPlus as number) : decreasing ? (etaMinus as number) : 1;
    const size = min32(max32(r((stepSize[i] as number) * factor), low as number), high as number);
    stepSize[i] = size;
    const kept = decreasing ? 0 : gi;
    prev[i] = kept;
    p[i] = r((p[i] as number) - r(sign(kept) * size));
  }
};

const lion: Kernel = ({ param: p, grad: g, slots, scalars, hyper }) => {
  const h = hyper as Flags;
  const s = scalarsOf(scalars);
  const m = (slots as Arrays).expAvg;
  if (!m) throw new Error('lion kernel: missing slots');
  const [b1, c1, b2, c2, decay, lr] = [s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.decayFactor, s.negativeLearningRate] as number[];
  for (let i = 0; i < p.length; i += 1) {
    const gi = h.maximize ? -(g[i] as number) : (g[i] as number);
    const mi = m[i] as number;
    const direction = sign(r(r(mi * (b1 as number)) + r(gi * (c1 as number))));
    const decayed = h.useWeightDecay ? r((p[i] as number) * (decay as number)) : (p[i] as number);
    p[i] = r(decayed + r(direction * (lr as number)));
    m[i] = r(r(mi * (b2 as number)) + r(gi * (c2 as number)));
  }
};

// LAMB needs two norms over the whole tensor, so it is not a single pass; it runs the generic path.

const kernels: Record<string, Kernel> = {
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
};

/**
 * The engine's fused kernels, by optimizer type (`lamb` runs the generic
 * composition: its trust ratio needs two whole-tensor norms first).
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params, kernels: fusedKernels });
 * ```
 */
export const fusedKernels: KernelProvider<Float32Array> = (type) => kernels[type];
