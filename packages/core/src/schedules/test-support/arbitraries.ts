/** fast-check arbitraries of valid schedule specs, one per JSON type (test support). */
import fc from 'fast-check';
import { scheduleDefinitions } from '../catalogue.js';
import { inRange, type OptionSpec } from '../options.js';
import type { AnyScheduleDefinition } from '../schedule.js';

type Spec = Record<string, unknown>;

const value = fc.double({ min: 0, max: 10, noNaN: true, noDefaultInfinity: true });
const positive = fc.double({ min: 1e-6, max: 10, noNaN: true, noDefaultInfinity: true });
const unit = fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true });
const decay = fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true, maxExcluded: true });
const count = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const sortedIntegers = (min: number, max: number, strict: boolean): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 6 })
    .chain((xs) =>
      strict ? fc.constant(xs) : fc.array(fc.constantFrom(...xs), { minLength: 0, maxLength: 3 }).map((extra) => [...xs, ...extra]),
    )
    .map((xs) => [...xs].sort((a, b) => a - b));

/** Arbitraries of leaf (non-composite) specs. */
export const leafArbitraries: Record<string, fc.Arbitrary<Spec>> = {
  constant: fc.record({ type: fc.constant('constant'), value }),
  stepDecay: fc.record({ type: fc.constant('stepDecay'), initialValue: value, stepSize: count(1, 1000), gamma: unit }),
  multiStep: fc.record({ type: fc.constant('multiStep'), initialValue: value, milestones: sortedIntegers(0, 10_000, false), gamma: unit }),
  piecewiseConstant: sortedIntegers(0, 10_000, true).chain((boundaries) =>
    fc.record({
      type: fc.constant('piecewiseConstant'),
      boundaries: fc.constant(boundaries),
      values: fc.array(value, { minLength: boundaries.length + 1, maxLength: boundaries.length + 1 }),
      atBoundary: fc.constantFrom('previous', 'next'),
    }),
  ),
  piecewiseInterpolate: fc.record(
    {
      type: fc.constant('piecewiseInterpolate'),
      interpolateType: fc.constantFrom('linear', 'cosine'),
      initialValue: value,
      boundariesAndScales: fc.dictionary(fc.integer({ min: 0, max: 10_000 }).map(String), value, { maxKeys: 6 }),
    },
    { requiredKeys: ['type', 'interpolateType', 'initialValue'] },
  ),
  exponential: fc.record({ type: fc.constant('exponential'), initialValue: value, gamma: unit }),
  exponentialDecay: fc.record({
    type: fc.constant('exponentialDecay'),
    initialValue: value,
    decayRate: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    decaySteps: positive,
    staircase: fc.boolean(),
    beginStep: count(0, 1000),
  }),
  linear: fc.record({
    type: fc.constant('linear'),
    initialValue: value,
    endValue: value,
    steps: count(1, 10_000),
    beginStep: count(0, 1000),
  }),
  constantFactor: fc.record({ type: fc.constant('constantFactor'), initialValue: value, factor: unit, steps: count(0, 1000) }),
  linearFactor: fc.record({
    type: fc.constant('linearFactor'),
    initialValue: value,
    startFactor: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    endFactor: unit,
    steps: count(1, 1000),
  }),
  polynomial: fc.record({
    type: fc.constant('polynomial'),
    initialValue: value,
    endValue: value,
    steps: count(1, 10_000),
    power: fc.double({ min: 0, max: 5, noNaN: true }),
    cycle: fc.boolean(),
    beginStep: count(0, 1000),
  }),
  inverseTime: fc.record({
    type: fc.constant('inverseTime'),
    initialValue: value,
    decayRate: value,
    decaySteps: positive,
    staircase: fc.boolean(),
  }),
  inverseSqrt: fc.record(
    { type: fc.constant('inverseSqrt'), initialValue: value, warmupSteps: count(0, 10_000), timescale: positive },
    { requiredKeys: ['type', 'initialValue'] },
  ),
  cosineAnnealing: fc.record({
    type: fc.constant('cosineAnnealing'),
    initialValue: value,
    steps: count(1, 100_000),
    minValue: value,
    afterEnd: fc.constantFrom('hold', 'periodic'),
    exponent: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 5, noNaN: true })),
  }),
  cosineRestarts: fc
    .record({
      type: fc.constant('cosineRestarts'),
      initialValue: value,
      // Integer first periods (PyTorch T_0) put cycle starts on or next to integer steps.
      firstPeriod: fc.oneof(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
      ),
      // 1 exactly, or at least 1 + 1e-9 (closer to 1 is refused); just above 1, cycle starts fall just after
      // multiples of firstPeriod, where a rounded start lands on the wrong side of a step.
      periodMultiplier: fc.oneof(
        fc.constant(1),
        fc.constantFrom(1 + 1e-9, 1.000000001, 1 + 1e-8, 1 + 1e-6),
        fc.constantFrom(1.5, 2, 3),
        fc.double({ min: 1 + 1e-9, max: 4, noNaN: true }),
      ),
      // 1 (PyTorch, no decay) often: a tiny decay flattens every cycle after the first to the floor.
      peakDecay: fc.oneof(fc.constant(1), unit),
      minFraction: unit,
    })
    .map(({ minFraction, ...spec }) => ({ ...spec, minValue: spec.initialValue * minFraction })),
  cyclic: fc.record(
    {
      type: fc.constant('cyclic'),
      baseValue: value,
      maxValue: value,
      stepSizeUp: positive,
      stepSizeDown: positive,
      mode: fc.constantFrom('triangular', 'triangular2', 'expRange'),
      gamma: fc.double({ min: 1e-3, max: 1, noNaN: true }),
      scaleMode: fc.constantFrom('cycle', 'iterations'),
    },
    { requiredKeys: ['type', 'baseValue', 'maxValue'] },
  ),
  oneCycle: fc.record({
    type: fc.constant('oneCycle'),
    maxValue: value,
    totalSteps: count(10, 100_000),
    pctStart: fc.double({ min: 0.2, max: 0.45, noNaN: true }),
    annealStrategy: fc.constantFrom('cos', 'linear'),
    threePhase: fc.boolean(),
    divFactor: fc.double({ min: 1, max: 100, noNaN: true }),
    finalDivFactor: fc.double({ min: 1, max: 1e5, noNaN: true }),
  }),
  oneCycleMomentum: fc.record({
    type: fc.constant('oneCycleMomentum'),
    totalSteps: count(10, 100_000),
    pctStart: fc.double({ min: 0.2, max: 0.45, noNaN: true }),
    annealStrategy: fc.constantFrom('cos', 'linear'),
    threePhase: fc.boolean(),
    baseMomentum: unit,
    maxMomentum: unit,
  }),
  cosineOnecycle: fc.record({
    type: fc.constant('cosineOnecycle'),
    transitionSteps: count(10, 100_000),
    peakValue: value,
    pctStart: fc.double({ min: 0, max: 0.9, noNaN: true }),
    divFactor: fc.double({ min: 1, max: 100, noNaN: true }),
    finalDivFactor: fc.double({ min: 1, max: 1e5, noNaN: true }),
  }),
  linearOnecycle: fc.record({
    type: fc.constant('linearOnecycle'),
    transitionSteps: count(10, 100_000),
    peakValue: value,
    pctStart: fc.double({ min: 0, max: 0.45, noNaN: true }),
    pctFinal: fc.double({ min: 0.55, max: 0.9, noNaN: true }),
    divFactor: fc.double({ min: 1, max: 100, noNaN: true }),
    finalDivFactor: fc.double({ min: 1, max: 1e5, noNaN: true }),
  }),
  warmupStableDecay: fc.record({
    type: fc.constant('warmupStableDecay'),
    peakValue: value,
    warmupSteps: count(0, 1000),
    stableSteps: count(0, 1000),
    decaySteps: count(1, 1000),
    initialValue: value,
    minValue: value,
    decayShape: fc.constantFrom('linear', 'cosine', 'sqrt'),
  }),
  reduceOnPlateau: fc.record({
    type: fc.constant('reduceOnPlateau'),
    initialValue: value,
    mode: fc.constantFrom('min', 'max'),
    factor: decay,
    patience: count(0, 5),
    threshold: fc.double({ min: 0, max: 0.5, noNaN: true }),
    thresholdMode: fc.constantFrom('rel', 'abs'),
    cooldown: count(0, 3),
    minValue: fc.double({ min: 0, max: 1e-3, noNaN: true }),
    eps: fc.double({ min: 0, max: 1e-6, noNaN: true }),
  }),
  adaGradNorm: fc.record({ type: fc.constant('adaGradNorm'), initialValue: value, initialNorm: positive }),
};

/** Any valid spec, composites nesting up to `depth` levels. */
export function specArbitrary(depth: number): fc.Arbitrary<Spec> {
  const leaf = fc.oneof(...Object.values(leafArbitraries));
  if (depth <= 0) return leaf;
  const inner = specArbitrary(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: compositeArbitraries(inner).warmup as fc.Arbitrary<Spec> },
    { weight: 1, arbitrary: compositeArbitraries(inner).sequence as fc.Arbitrary<Spec> },
    { weight: 1, arbitrary: compositeArbitraries(inner).product as fc.Arbitrary<Spec> },
    { weight: 1, arbitrary: compositeArbitraries(inner).scale as fc.Arbitrary<Spec> },
  );
}

/** Composite arbitraries over a child arbitrary. */
export function compositeArbitraries(child: fc.Arbitrary<Spec>): Record<string, fc.Arbitrary<Spec>> {
  return {
    warmup: fc.record({
      type: fc.constant('warmup'),
      schedule: child,
      steps: count(1, 1000),
      mode: fc.constantFrom('linear', 'constant'),
      startValue: value,
    }),
    sequence: fc
      .array(child, { minLength: 2, maxLength: 4 })
      .chain((schedules) =>
        fc
          .uniqueArray(fc.integer({ min: 1, max: 100_000 }), { minLength: schedules.length - 1, maxLength: schedules.length - 1 })
          .map((boundaries) => ({ type: 'sequence', schedules, boundaries: [...boundaries].sort((a, b) => a - b) })),
      ),
    product: fc.record({ type: fc.constant('product'), schedules: fc.array(child, { minLength: 2, maxLength: 3 }) }),
    scale: fc.record({ type: fc.constant('scale'), schedule: child, factor: value }),
  };
}

/** Option values at the edges of doubles: denormals, 1 ± an ulp, 2^53, the 1e280 cap and past it, -0. */
const EDGE_REALS = [
  0,
  -0,
  5e-324,
  1e-300,
  1e-150,
  1e-9,
  0.1,
  0.5,
  1 - 2 ** -53,
  1,
  1 + 2 ** -52,
  1 + 1e-9,
  1.5,
  2,
  1e6,
  2 ** 53 - 1,
  1e150,
  1e280,
  1e300,
  Number.MAX_VALUE,
];
const EDGE_INTEGERS = [0, 1, 2, 3, 1000, 2 ** 31, 2 ** 52, 2 ** 53 - 2, 2 ** 53 - 1];

/** Steps at the edges: the first ones, around 1000, 2^31, 1e12 and up to 2^53 - 1. */
export const edgeSteps: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 999, 1000, 1001, 2 ** 31, 1e12, 2 ** 52, 2 ** 53 - 2, 2 ** 53 - 1),
  fc.integer({ min: 0, max: 2 ** 53 - 1 }),
);

/** A number within a descriptor's own range (the magnitude cap aside): an edge value or an ordinary one. */
function edgeNumber(spec: { integer?: true; min?: number; exclusiveMin?: true; max?: number; exclusiveMax?: true }): fc.Arbitrary<number> {
  const pool = [...(spec.integer ? EDGE_INTEGERS : EDGE_REALS), ...[spec.min, spec.max].filter((x) => x !== undefined)].filter((x) =>
    inRange(x, spec),
  );
  const low = spec.min ?? 0;
  const ordinary = spec.integer
    ? fc.integer({ min: low, max: low + 2000 })
    : fc.double({ min: low, max: Math.min(spec.max ?? 1e6, low + 1e6), noNaN: true }).filter((x) => inRange(x, spec));
  return fc.oneof(fc.constantFrom(...pool), ordinary);
}

function edgeOption(spec: OptionSpec, child: fc.Arbitrary<Spec>): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'number':
      return edgeNumber(spec);
    case 'numberList':
      return fc
        .array(edgeNumber(spec), { minLength: spec.minLength ?? 0, maxLength: 4 })
        .map((xs) => [...xs].sort((a, b) => a - b))
        .map((xs) => (spec.order === 'increasing' ? xs.filter((x, i) => i === 0 || x > (xs[i - 1] as number)) : xs));
    case 'stepRecord':
      return fc.dictionary(fc.oneof(fc.constantFrom(...EDGE_INTEGERS), fc.integer({ min: 0, max: 2000 })).map(String), edgeNumber(spec), {
        maxKeys: 4,
      });
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...spec.values);
    case 'schedule':
      return child;
    case 'scheduleList':
      return fc.array(child, { minLength: spec.minLength, maxLength: 3 });
    default:
      throw new Error(`no JSON arbitrary for ${spec.kind} options`);
  }
}

const jsonDefinitions = scheduleDefinitions.filter((d) => !d.codeOnly);
const isComposite = (d: AnyScheduleDefinition): boolean =>
  Object.values(d.options).some((o) => o.kind === 'schedule' || o.kind === 'scheduleList');

function edgeSpecOf(definition: AnyScheduleDefinition, child: fc.Arbitrary<Spec>): fc.Arbitrary<Spec> {
  const options = Object.entries(definition.options);
  const required = options.filter(([, o]) => !('default' in o && o.default !== undefined) && !o.optional).map(([key]) => key);
  const record = Object.fromEntries(options.map(([key, o]) => [key, edgeOption(o, child)]));
  return fc.record(
    { type: fc.constant(definition.type), ...record },
    { requiredKeys: ['type', ...required] as never[] },
  ) as fc.Arbitrary<Spec>;
}

/**
 * Specs of every JSON type built from the option descriptors themselves, each
 * number at an edge of its range (or past the 1e280 cap) or ordinary, optional
 * options sometimes left out; composites over such leaves. Many break a
 * cross-option rule: those must be refused with a StepsizeError.
 */
export const edgeLeafSpec: fc.Arbitrary<Spec> = fc.oneof(
  ...jsonDefinitions.filter((d) => !isComposite(d)).map((d) => edgeSpecOf(d, fc.constant({}))),
);
export const edgeSpec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: edgeLeafSpec },
  ...jsonDefinitions.filter(isComposite).map((d) => ({ weight: 1, arbitrary: edgeSpecOf(d, edgeLeafSpec) })),
);
