/**
 * Property-based tests (fast-check) over every optimizer and its JSON parser:
 * random valid specs (derived from each optimizer's option descriptors, any
 * hyperparameter possibly a schedule) build, round-trip and run; random
 * invalid ones (NaN, ±Infinity, out of range, wrong types, unknown and
 * forbidden keys, bad groups, deep nesting, huge specs) always raise
 * StepsizeError with a path, and never pollute prototypes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import type { OptionSpec } from '../schedules/options.js';
import { MAX_SPEC_DEPTH } from '../schedules/spec.js';
import * as builtins from './builtin/index.js';
import { optimizerDefinitions } from './builtin/index.js';
import { OptimizerRunner } from './runner.js';
import { optimizerFromJSON } from './spec.js';
import { propertyRun } from '../test-support/property-run.js';
import { arrayOps } from './test-support/array-ops.js';

const { counted } = propertyRun('optimizer properties');

type Spec = Record<string, unknown>;

/** Numbers inside a descriptor's range (kept moderate so a few steps stay finite). */
function inRange(spec: { min?: number; max?: number; exclusiveMin?: true; exclusiveMax?: true; integer?: true }): fc.Arbitrary<number> {
  const min = spec.min ?? -10;
  const max = Math.min(spec.max ?? 10, min + 10);
  if (spec.integer)
    return fc.integer({ min: Math.ceil(min + (spec.exclusiveMin ? 1 : 0)), max: Math.max(Math.ceil(min + 1), Math.floor(max)) });
  return fc.double({ min, max, noNaN: true, minExcluded: spec.exclusiveMin === true, maxExcluded: spec.exclusiveMax === true });
}

/** A schedule spec whose values stay in [0.05, 0.95] (so it fits every hyperparameter range that includes them). */
const unitSchedule: fc.Arbitrary<Spec> = fc.oneof(
  fc.double({ min: 0.05, max: 0.95, noNaN: true }).map((value) => ({ type: 'constant', value })),
  fc
    .record({ initialValue: fc.double({ min: 0.05, max: 0.95, noNaN: true }), steps: fc.integer({ min: 1, max: 100 }) })
    .map((o) => ({ type: 'cosineAnnealing', ...o, minValue: 0.05 })),
  fc
    .record({ steps: fc.integer({ min: 1, max: 5 }), value: fc.double({ min: 0.05, max: 0.95, noNaN: true }) })
    .map((o) => ({ type: 'warmup', steps: o.steps, schedule: { type: 'constant', value: o.value } })),
);

function valueFor(type: string, key: string, spec: OptionSpec): fc.Arbitrary<unknown> | undefined {
  if (type === 'rprop' && key === 'etas')
    return fc.tuple(fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 1.01, max: 5, noNaN: true }));
  if (type === 'rprop' && key === 'stepSizes')
    return fc.tuple(fc.double({ min: 0, max: 1e-3, noNaN: true }), fc.double({ min: 1e-3, max: 50, noNaN: true }));
  // epsilon = 0 is allowed (as in PyTorch), but then a zero gradient gives 0 / 0 = NaN, as in PyTorch.
  if (key === 'epsilon') return fc.double({ min: 1e-12, max: 1, noNaN: true });
  // Schedule-free recovers x = (y - (1 - b1) z) / b1: a b1 of 1e-300 overflows, as in optax.
  if (type.startsWith('scheduleFree') && key === 'beta1') return fc.double({ min: 0.01, max: 0.99, noNaN: true });
  switch (spec.kind) {
    case 'number':
      return inRange(spec);
    case 'hyperparameter': {
      const number = inRange(spec);
      const lo = spec.min ?? 0;
      const hi = spec.max ?? Infinity;
      const fits = lo <= 0 && hi >= 1;
      return fits ? fc.oneof(number, unitSchedule) : number;
    }
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...spec.values);
    default:
      return undefined;
  }
}

/** A valid spec: any subset of the options with valid values. */
function validSpec(type: string, options: Readonly<Record<string, OptionSpec>>): fc.Arbitrary<Spec> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, spec] of Object.entries(options)) {
    const value = valueFor(type, key, spec);
    if (value) record[key] = value;
  }
  return fc.record(record, { requiredKeys: [] }).map((options) => {
    const spec: Spec = { type, ...options };
    // SGD: PyTorch's nesterov needs momentum > 0 and no dampening.
    if (type === 'sgd' && spec.nesterov === true) Object.assign(spec, { momentum: 0.9, dampening: 0 });
    if (type === 'sgd' && spec.learningRate === undefined) spec.learningRate = 0.01;
    // Muon: adaptive and the aol and schatten preconditionings are optax's (torch.optim.Muon has none).
    if (type === 'muon' && (spec.adaptive === true || (spec.preconditioning ?? 'frobenius') !== 'frobenius')) spec.convention = 'optax';
    return spec;
  });
}

function expectPathError(action: () => unknown, path: RegExp): StepsizeError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a StepsizeError').toBeInstanceOf(StepsizeError);
  expect((caught as StepsizeError).path).toMatch(path);
  return caught as StepsizeError;
}

const invalidNumbers = fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -1e300, 1e300, '0.1', null, [], {}, true);

describe('optimizer properties', () => {
  for (const definition of optimizerDefinitions) {
    const spec = validSpec(definition.type, definition.options);
    describe(definition.type, () => {
      it('random valid specs build, round-trip through JSON and run a few steps with finite results', () => {
        fc.assert(
          fc.property(
            spec,
            fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
            counted(([json, gradient]) => {
              const optimizer = optimizerFromJSON(json);
              const text = JSON.stringify(optimizer.toJSON());
              expect(JSON.stringify(optimizerFromJSON(JSON.parse(text)).toJSON())).toBe(text);
              // A vector and a matrix: the shape-aware optimizers (Muon, Adafactor) take both paths.
              const params = { w: [0.5, -0.25, 1], m: [0.3, -0.2, 0.1, 0.4, -0.5, 0.6] };
              const shapes = { w: [3], m: [2, 3] };
              if ((json as { route?: string }).route === 'muon') {
                // Every parameter to Newton-Schulz: the vector is refused, naming the option.
                expect(() => new OptimizerRunner({ optimizer, ops: arrayOps, params, shapes })).toThrow(/muon options\.route/);
                return;
              }
              const runner = new OptimizerRunner({ optimizer, ops: arrayOps, params, shapes });
              for (let step = 0; step < 3; step += 1) {
                runner.step({ w: gradient.slice(0, 3).map((g) => g * (step + 1)), m: gradient.map((g) => g * (step + 1)) });
              }
              expect(runner.state.step).toBe(3);
              for (const value of [...(runner.params.w as number[]), ...(runner.params.m as number[])])
                expect(Number.isFinite(value)).toBe(true);
            }),
          ),
          { numRuns: 60 },
        );
      });

      it('an invalid value for any option raises StepsizeError naming the option; nothing pollutes prototypes', () => {
        const keys = Object.keys(definition.options);
        fc.assert(
          fc.property(
            spec,
            fc.constantFrom(...keys),
            invalidNumbers,
            counted(([json, key, bad]) => {
              const option = definition.options[key] as OptionSpec;
              // Values the descriptor really accepts are not invalid for it.
              if (option.kind === 'number' || option.kind === 'hyperparameter') {
                const lo = option.min ?? -Infinity;
                const hi = option.max ?? Infinity;
                if (typeof bad === 'number' && Number.isFinite(bad) && bad >= lo && bad <= hi) return;
              }
              if (option.kind === 'boolean' && typeof bad === 'boolean') return;
              expectPathError(() => optimizerFromJSON({ ...json, [key]: bad }), new RegExp(`^\\$\\.${key}`));
            }),
          ),
          { numRuns: 60 },
        );
      });
    });
  }

  it('code constructors refuse the same invalid values, naming "<type> options.<key>"', () => {
    const constructors = builtins as unknown as Record<string, (options: Spec) => unknown>;
    for (const definition of optimizerDefinitions) {
      const construct = constructors[definition.type];
      expect(typeof construct, definition.type).toBe('function');
      const keys = Object.keys(definition.options).filter((k) =>
        ['number', 'hyperparameter'].includes((definition.options[k] as OptionSpec).kind),
      );
      fc.assert(
        fc.property(
          fc.constantFrom(...keys),
          fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -1e300, '0.1', null),
          counted(([key, bad]) => {
            const option = definition.options[key] as OptionSpec & { min?: number; max?: number };
            if (typeof bad === 'number' && Number.isFinite(bad) && bad >= (option.min ?? -Infinity) && bad <= (option.max ?? Infinity))
              return;
            const base: Spec = definition.type === 'sgd' && key !== 'learningRate' ? { learningRate: 0.1 } : {};
            expectPathError(() => construct?.({ ...base, [key]: bad }), new RegExp(`^${definition.type} options\\.${key}`));
          }),
        ),
        { numRuns: 30 },
      );
    }
  });

  it('unknown, forbidden and misplaced keys are refused with their path, without touching prototypes', () => {
    const types = optimizerDefinitions.map((d) => d.type);
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'learningrate', 'lr', 'beta_1'),
        counted(([type, key]) => {
          const text = `{"type":"${type}","learningRate":0.1,"${key}":{"polluted":true}}`;
          expectPathError(() => optimizerFromJSON(text), /^\$/);
          expectPathError(
            () => optimizerFromJSON({ type, learningRate: 0.1, groups: [JSON.parse(`{"params":["w"],"${key}":{"polluted":true}}`)] }),
            /^\$\.groups\[0\]/,
          );
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.prototype).not.toHaveProperty('polluted');
        }),
      ),
      { numRuns: 100 },
    );
  });

  it('bad types, groups and parameter patterns are refused with their path', () => {
    expectPathError(() => optimizerFromJSON({ type: 'adamm' }), /^\$\.type$/);
    expectPathError(() => optimizerFromJSON({ type: '__proto__' }), /^\$\.type$/);
    expectPathError(() => optimizerFromJSON({ learningRate: 1 }), /^\$\.type$/);
    expectPathError(() => optimizerFromJSON('{"type": "adam", '), /^\$$/);
    expectPathError(() => optimizerFromJSON([]), /^\$$/);
    expectPathError(() => optimizerFromJSON({ type: 'adam', groups: {} }), /^\$\.groups/);
    expectPathError(() => optimizerFromJSON({ type: 'adam', groups: [{ params: [] }] }), /^\$\.groups\[0\]\.params/);
    expectPathError(() => optimizerFromJSON({ type: 'adam', groups: [{ params: ['w'], beta1: 2 }] }), /^\$\.groups\[0\]\.beta1/);
    expectPathError(
      () => optimizerFromJSON({ type: 'adam', learningRate: { type: 'cosineAnnealing', initialValue: -1, steps: 10 } }),
      /^\$\.learningRate\.initialValue/,
    );
    expectPathError(() => optimizerFromJSON({ type: 'adam', learningRate: { type: 'lambdaFactor' } }), /^\$\.learningRate/);
  });

  it('deeply nested and huge specs are refused or handled without crashing', () => {
    let schedule: Spec = { type: 'constant', value: 0.1 };
    for (let depth = 0; depth < MAX_SPEC_DEPTH + 5; depth += 1) schedule = { type: 'scale', factor: 1, schedule };
    expectPathError(() => optimizerFromJSON({ type: 'adam', learningRate: schedule }), /^\$\.learningRate/);
    let deeper: Spec = { type: 'constant', value: 0.1 };
    for (let depth = 0; depth < 100_000; depth += 1) deeper = { type: 'scale', factor: 1, schedule: deeper };
    expectPathError(() => optimizerFromJSON({ type: 'adam', learningRate: deeper }), /^\$\.learningRate/);
    const groups = Array.from({ length: 2_000 }, (_, i) => ({ params: [`p${i}`], learningRate: 0.001 * ((i % 7) + 1) }));
    const optimizer = optimizerFromJSON({ type: 'sgd', learningRate: 0.1, groups });
    expect(optimizer.groups).toHaveLength(2_001);
    const huge = { type: 'rprop', etas: Array.from({ length: 1_000_000 }, () => 0.5) };
    expectPathError(() => optimizerFromJSON(huge), /^\$\.etas/);
  });
});
