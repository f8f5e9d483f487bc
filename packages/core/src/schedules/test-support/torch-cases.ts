/**
 * Maps the PyTorch golden cases (fixtures/pytorch-schedules.json, written by
 * tooling/goldens/pytorch_schedules.py from Debian's python3-torch) to stepsize
 * schedules. Test support only: not part of the published build.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  constantFactor,
  cosineAnnealing,
  cosineRestarts,
  cyclic,
  exponential,
  lambdaFactor,
  linearFactor,
  multiStep,
  multiplicative,
  oneCycle,
  oneCycleMomentum,
  polynomial,
  product,
  reduceOnPlateau,
  sequence,
  stepDecay,
  type Schedule,
  type StepFunction,
} from '../../index.js';

/** One lambda form of the generator's fixed vocabulary. */
export interface TorchLambda {
  readonly fn: 'power' | 'linearWarmup' | 'constant' | 'stepDecay' | 'inverse';
  readonly [parameter: string]: unknown;
}

/** A scheduler as the generator records it. */
export interface TorchScheduler {
  readonly scheduler: string;
  readonly options: Record<string, unknown>;
  readonly lambda?: TorchLambda;
  readonly children?: readonly TorchScheduler[];
}

/** One golden case. */
export interface TorchCase extends TorchScheduler {
  readonly name: string;
  readonly baseLr: number;
  readonly steps: number;
  readonly metrics?: readonly number[];
  readonly lr: readonly number[];
  readonly momentum?: readonly number[];
}

/** The fixture file. */
export interface TorchFixture {
  readonly generator: string;
  readonly torchVersion: string;
  readonly pythonVersion: string;
  readonly cases: readonly TorchCase[];
}

/** Loads the committed fixture. */
export function loadTorchFixture(): TorchFixture {
  const file = fileURLToPath(new URL('../../../fixtures/pytorch-schedules.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as TorchFixture;
}

function num(options: Record<string, unknown>, key: string, fallback?: number): number {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number') throw new Error(`fixture option ${key} missing`);
  return value;
}

/** The generator's lambda vocabulary, formula for formula (see its docstring). */
function lambdaFunction(lambda: TorchLambda): StepFunction {
  const p = (key: string): number => lambda[key] as number;
  switch (lambda.fn) {
    case 'power':
      return (t) => p('base') ** t;
    case 'linearWarmup':
      return (t) => Math.min(1, (t + 1) / p('steps'));
    case 'constant':
      return () => p('value');
    case 'stepDecay':
      return (t) => p('factor') ** Math.floor(t / p('every'));
    case 'inverse':
      return (t) => 1 / (1 + p('rate') * t);
  }
}

const cyclicModes = { triangular: 'triangular', triangular2: 'triangular2', exp_range: 'expRange' } as const;

function cyclicShape(o: Record<string, unknown>): {
  stepSizeUp: number;
  stepSizeDown?: number;
  mode: 'triangular' | 'triangular2' | 'expRange';
  gamma: number;
} {
  // PyTorch ignores scale_mode unless a custom scale_fn is given, so it is not mapped.
  const shape = {
    stepSizeUp: num(o, 'step_size_up', 2000),
    mode: cyclicModes[(o.mode as keyof typeof cyclicModes | undefined) ?? 'triangular'],
    gamma: num(o, 'gamma', 1),
  };
  return o.step_size_down === undefined ? shape : { ...shape, stepSizeDown: num(o, 'step_size_down') };
}

function oneCyclePhases(o: Record<string, unknown>): {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  threePhase: boolean;
} {
  const totalSteps = o.total_steps === undefined ? num(o, 'epochs') * num(o, 'steps_per_epoch') : num(o, 'total_steps');
  return {
    totalSteps,
    pctStart: num(o, 'pct_start', 0.3),
    annealStrategy: (o.anneal_strategy as 'cos' | 'linear' | undefined) ?? 'cos',
    threePhase: (o.three_phase as boolean | undefined) ?? false,
  };
}

/** The stepsize schedule for a PyTorch scheduler whose optimizer starts at `base`. */
export function scheduleFor(s: TorchScheduler, base: number): Schedule {
  const o = s.options;
  switch (s.scheduler) {
    case 'LambdaLR':
      return lambdaFactor({ initialValue: base, factor: lambdaFunction(s.lambda as TorchLambda) });
    case 'MultiplicativeLR':
      return multiplicative({ initialValue: base, factor: lambdaFunction(s.lambda as TorchLambda) });
    case 'StepLR':
      return stepDecay({ initialValue: base, stepSize: num(o, 'step_size'), gamma: num(o, 'gamma', 0.1) });
    case 'MultiStepLR':
      return multiStep({ initialValue: base, milestones: o.milestones as number[], gamma: num(o, 'gamma', 0.1) });
    case 'ConstantLR':
      return constantFactor({ initialValue: base, factor: num(o, 'factor', 1 / 3), steps: num(o, 'total_iters', 5) });
    case 'LinearLR':
      return linearFactor({
        initialValue: base,
        startFactor: num(o, 'start_factor', 1 / 3),
        endFactor: num(o, 'end_factor', 1),
        steps: num(o, 'total_iters', 5),
      });
    case 'ExponentialLR':
      return exponential({ initialValue: base, gamma: num(o, 'gamma') });
    case 'PolynomialLR':
      return polynomial({ initialValue: base, steps: num(o, 'total_iters', 5), power: num(o, 'power', 1) });
    case 'CosineAnnealingLR':
      return cosineAnnealing({
        initialValue: base,
        steps: num(o, 'T_max'),
        minValue: num(o, 'eta_min', 0),
        afterEnd: 'periodic',
      });
    case 'CosineAnnealingWarmRestarts':
      return cosineRestarts({
        initialValue: base,
        firstPeriod: num(o, 'T_0'),
        periodMultiplier: num(o, 'T_mult', 1),
        minValue: num(o, 'eta_min', 0),
      });
    case 'CyclicLR':
      return cyclic({ baseValue: num(o, 'base_lr'), maxValue: num(o, 'max_lr'), ...cyclicShape(o) });
    case 'OneCycleLR':
      return oneCycle({
        maxValue: num(o, 'max_lr'),
        ...oneCyclePhases(o),
        divFactor: num(o, 'div_factor', 25),
        finalDivFactor: num(o, 'final_div_factor', 1e4),
      });
    case 'ReduceLROnPlateau':
      return reduceOnPlateau({
        initialValue: base,
        mode: (o.mode as 'min' | 'max' | undefined) ?? 'min',
        factor: num(o, 'factor', 0.1),
        patience: num(o, 'patience', 10),
        threshold: num(o, 'threshold', 1e-4),
        thresholdMode: (o.threshold_mode as 'rel' | 'abs' | undefined) ?? 'rel',
        cooldown: num(o, 'cooldown', 0),
        minValue: num(o, 'min_lr', 0),
        eps: num(o, 'eps', 1e-8),
      });
    case 'ChainedScheduler': {
      // Each child multiplies the shared rate by its own factor: the base goes in the first one.
      const children = s.children ?? [];
      return product({ schedules: children.map((child, i) => scheduleFor(child, i === 0 ? base : 1)) });
    }
    case 'SequentialLR':
      return sequence({
        schedules: (s.children ?? []).map((child) => scheduleFor(child, base)),
        boundaries: o.milestones as number[],
      });
    default:
      throw new Error(`no mapping for PyTorch scheduler ${s.scheduler}`);
  }
}

/** The momentum schedule PyTorch cycles alongside CyclicLR / OneCycleLR, when it does. */
export function momentumScheduleFor(s: TorchScheduler): Schedule | undefined {
  const o = s.options;
  if (o.cycle_momentum === false) return undefined;
  if (s.scheduler === 'CyclicLR') {
    // PyTorch: momentum = max_momentum - (max_momentum - base_momentum) * wave, i.e. the inverted wave.
    return cyclic({ baseValue: num(o, 'max_momentum', 0.9), maxValue: num(o, 'base_momentum', 0.8), ...cyclicShape(o) });
  }
  if (s.scheduler === 'OneCycleLR') {
    return oneCycleMomentum({
      ...oneCyclePhases(o),
      baseMomentum: num(o, 'base_momentum', 0.85),
      maxMomentum: num(o, 'max_momentum', 0.95),
    });
  }
  return undefined;
}

/** Values of `schedule` at steps 0..steps, feeding `metrics[t - 1]` at step t - 1 first (ReduceLROnPlateau). */
export function trajectory(schedule: Schedule, steps: number, metrics?: readonly number[]): number[] {
  const values = [schedule(0)];
  for (let t = 1; t <= steps; t += 1) {
    const metric = metrics?.[t - 1];
    if (metric !== undefined) schedule.observe({ step: t - 1, metric });
    values.push(schedule(t));
  }
  return values;
}

/** Largest relative error |a - b| / |b| (absolute below 1e-300). */
export function maxRelativeError(actual: readonly number[], expected: readonly number[]): { error: number; step: number } {
  let worst = { error: 0, step: -1 };
  for (let i = 0; i < expected.length; i += 1) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    const error = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
    if (!(error <= worst.error)) worst = { error, step: i };
  }
  return worst;
}
