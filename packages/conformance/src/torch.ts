import type { ConformanceCase, ConformanceFile, TensorData } from './cases.js';

/** A case of fixtures/pytorch-optimizer-trajectories.json (tooling/goldens/torch_optimizer_trajectories.py). */
export interface TorchOptimizerCase {
  readonly name: string;
  readonly optimizer: string;
  readonly options: Record<string, unknown>;
  readonly groups?: readonly { params: string[]; options: Record<string, unknown> }[];
  readonly params: Record<string, TensorData>;
  readonly gradients: Record<string, number[]>[];
  readonly clip?: { kind: 'norm'; maxNorm: number } | { kind: 'value'; clipValue: number };
  readonly scheduler?: { scheduler: string; options: Record<string, unknown> };
  readonly steps: number;
  readonly lr: number[];
  readonly beta1?: number[];
  readonly trajectory: Record<string, number[]>[];
}

/** The PyTorch fixture file. */
export interface TorchOptimizerFixture {
  readonly generator: string;
  readonly torchVersion: string;
  readonly cases: readonly TorchOptimizerCase[];
}

const optimizerTypes: Record<string, string> = {
  SGD: 'sgd',
  Adam: 'adam',
  AdamW: 'adamW',
  Adamax: 'adamax',
  NAdam: 'nadam',
  RAdam: 'radam',
  Adagrad: 'adagrad',
  Adadelta: 'adadelta',
  RMSprop: 'rmsprop',
  Rprop: 'rprop',
};

const optionNames: Record<string, string> = {
  lr: 'learningRate',
  eps: 'epsilon',
  weight_decay: 'weightDecay',
  momentum_decay: 'momentumDecay',
  lr_decay: 'learningRateDecay',
  initial_accumulator_value: 'initialAccumulatorValue',
  step_sizes: 'stepSizes',
};

/** PyTorch keyword arguments to stepsize option names (betas split into beta1 / beta2). */
export function torchOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'foreach') continue;
    if (key === 'betas') {
      const [beta1, beta2] = value as [number, number];
      out.beta1 = beta1;
      out.beta2 = beta2;
      continue;
    }
    out[optionNames[key] ?? key] = value;
  }
  return out;
}

/** A PyTorch lr scheduler (over an optimizer whose lr is `base`) as a stepsize schedule spec. */
export function torchSchedulerSpec(scheduler: string, o: Record<string, unknown>, base: number): Record<string, unknown> {
  switch (scheduler) {
    case 'StepLR':
      return { type: 'stepDecay', initialValue: base, stepSize: o.step_size, gamma: o.gamma ?? 0.1 };
    case 'ExponentialLR':
      return { type: 'exponential', initialValue: base, gamma: o.gamma };
    case 'CosineAnnealingLR':
      return { type: 'cosineAnnealing', initialValue: base, steps: o.T_max, minValue: o.eta_min ?? 0, afterEnd: 'periodic' };
    case 'LinearLR':
      return {
        type: 'linearFactor',
        initialValue: base,
        startFactor: o.start_factor ?? 1 / 3,
        endFactor: o.end_factor ?? 1,
        steps: o.total_iters ?? 5,
      };
    case 'OneCycleLR':
      return {
        type: 'oneCycle',
        maxValue: o.max_lr,
        totalSteps: o.total_steps,
        pctStart: o.pct_start ?? 0.3,
        annealStrategy: o.anneal_strategy ?? 'cos',
        divFactor: o.div_factor ?? 25,
        finalDivFactor: o.final_div_factor ?? 1e4,
        threePhase: o.three_phase ?? false,
      };
    default:
      throw new Error(`no mapping for PyTorch scheduler ${scheduler}`);
  }
}

/** One PyTorch optimizer case as a stepsize conformance case. */
export function torchCase(c: TorchOptimizerCase): ConformanceCase {
  const type = optimizerTypes[c.optimizer];
  if (type === undefined) throw new Error(`no mapping for PyTorch optimizer ${c.optimizer}`);
  const optimizer: Record<string, unknown> = { type, ...torchOptions(c.options) };
  if (c.scheduler) {
    const base = c.options.lr as number;
    optimizer.learningRate = torchSchedulerSpec(c.scheduler.scheduler, c.scheduler.options, base);
    // OneCycleLR cycles Adam's beta1 like SGD's momentum (cycle_momentum, 0.85 to 0.95).
    if (c.scheduler.scheduler === 'OneCycleLR' && c.beta1) {
      const o = c.scheduler.options;
      optimizer.beta1 = {
        type: 'oneCycleMomentum',
        totalSteps: o.total_steps,
        pctStart: o.pct_start ?? 0.3,
        annealStrategy: o.anneal_strategy ?? 'cos',
        threePhase: o.three_phase ?? false,
        baseMomentum: o.base_momentum ?? 0.85,
        maxMomentum: o.max_momentum ?? 0.95,
      };
    }
  }
  if (c.clip?.kind === 'norm') optimizer.clipGradientNorm = c.clip.maxNorm;
  if (c.clip?.kind === 'value') optimizer.clipGradientValue = c.clip.clipValue;
  if (c.groups) optimizer.groups = c.groups.map((g) => ({ params: g.params, ...torchOptions(g.options) }));
  return {
    name: c.name,
    optimizer,
    params: c.params,
    gradients: c.gradients,
    trajectory: c.trajectory,
    learningRates: c.lr,
  };
}

/** The PyTorch fixture as a stepsize conformance file. */
export function torchConformanceFile(fixture: TorchOptimizerFixture): ConformanceFile {
  return {
    format: 'stepsize-conformance/1',
    source: `PyTorch ${fixture.torchVersion} (${fixture.generator})`,
    tolerance: 1e-5,
    cases: fixture.cases.map(torchCase),
  };
}
