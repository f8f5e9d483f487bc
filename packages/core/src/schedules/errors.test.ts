/**
 * Error messages as a user sees them: for constructors (path `<type> options.<key>`)
 * and JSON specs (JSON path `$.schedules[1].steps`), every StepsizeError carries
 * the exact `.path`, the offending `.value`, and a message that starts with the
 * path, says what was expected and shows the bad value.
 */
import { describe, expect, it } from 'vitest';
import {
  type StepsizeError,
  constant,
  cosineAnnealing,
  cosineRestarts,
  exponential,
  exponentialDecay,
  lambdaFactor,
  linear,
  multiStep,
  multiplicative,
  oneCycle,
  piecewiseConstant,
  reduceOnPlateau,
  scheduleFromJSON,
  scheduleTypes,
  stepDecay,
  warmup,
  warmupStableDecay,
  type Schedule,
} from '../index.js';
import { expectStepsizeError } from '../test-support/stepsize-error.js';

/**
 * Runs `action`, expects a StepsizeError at exactly `path` whose message is
 * `${path} ...` and contains every fragment; returns it.
 */
function expectError(action: () => unknown, path: string, ...fragments: string[]): StepsizeError {
  const error = expectStepsizeError(action, path);
  expect(error.name).toBe('StepsizeError');
  expect(error).toBeInstanceOf(Error);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/** The list of known types, as the messages print it. */
const knownTypes = scheduleTypes.join(', ');

describe('constructor options: path `<type> options.<key>`, the rule, and the bad value', () => {
  it('NaN', () => {
    const e = expectError(
      () => cosineAnnealing({ initialValue: NaN, steps: 10 }),
      'cosineAnnealing options.initialValue',
      'must be a finite number >= 0',
      'got NaN',
    );
    expect(e.value).toBeNaN();
    expect(e.message).toBe('cosineAnnealing options.initialValue must be a finite number >= 0, got NaN');
  });

  it('Infinity', () => {
    const e = expectError(
      () => exponential({ initialValue: 1, gamma: Infinity }),
      'exponential options.gamma',
      'must be a finite number >= 0, got Infinity',
    );
    expect(e.value).toBe(Infinity);
    expectError(() => linear({ initialValue: 1, endValue: -Infinity, steps: 3 }), 'linear options.endValue', 'got -Infinity');
  });

  it('-1', () => {
    const e = expectError(
      () => cosineAnnealing({ initialValue: 1, steps: -1 }),
      'cosineAnnealing options.steps',
      'must be an integer >= 1, got -1',
    );
    expect(e.value).toBe(-1);
    expectError(
      () => stepDecay({ initialValue: 1, stepSize: 3, gamma: -1 }),
      'stepDecay options.gamma',
      'must be a finite number >= 0, got -1',
    );
  });

  it('2.5 for an integer option', () => {
    expect(
      expectError(() => stepDecay({ initialValue: 1, stepSize: 2.5 }), 'stepDecay options.stepSize', 'must be an integer >= 1, got 2.5')
        .value,
    ).toBe(2.5);
    expectError(
      () => warmupStableDecay({ peakValue: 1, warmupSteps: 2.5, stableSteps: 0, decaySteps: 1 }),
      'warmupStableDecay options.warmupSteps',
      'must be an integer >= 0, got 2.5',
    );
    expectError(
      () => reduceOnPlateau({ initialValue: 1, patience: 2.5 }),
      'reduceOnPlateau options.patience',
      'must be an integer >= 0, got 2.5',
    );
  });

  it("'abc' and other non-numbers", () => {
    expect(
      expectError(
        () => linear({ initialValue: 'abc' as unknown as number, endValue: 0, steps: 3 }),
        'linear options.initialValue',
        'must be a finite number >= 0, got "abc"',
      ).value,
    ).toBe('abc');
    expectError(
      () => linear({ initialValue: true as unknown as number, endValue: 0, steps: 3 }),
      'linear options.initialValue',
      'got true',
    );
    expectError(
      () => linear({ initialValue: null as unknown as number, endValue: 0, steps: 3 }),
      'linear options.initialValue',
      'got null',
    );
    expectError(
      () => linear({ initialValue: 1, endValue: 0, steps: '3' as unknown as number }),
      'linear options.steps',
      'must be an integer >= 1, got "3"',
    );
  });

  it('ranges with an upper bound name both ends', () => {
    expectError(
      () => reduceOnPlateau({ initialValue: 1, factor: 1 }),
      'reduceOnPlateau options.factor',
      'must be a finite number in [0, 1), got 1',
    );
    expectError(
      () => oneCycle({ maxValue: 1, totalSteps: 100, pctStart: 1 }),
      'oneCycle options.pctStart',
      'must be a finite number in (0, 1), got 1',
    );
    expectError(
      () => cosineRestarts({ initialValue: 1, firstPeriod: 10, peakDecay: 1.5 }),
      'cosineRestarts options.peakDecay',
      'must be a finite number in [0, 1], got 1.5',
    );
  });

  it('enums and booleans list the accepted values', () => {
    expectError(
      () => cosineAnnealing({ initialValue: 1, steps: 10, afterEnd: 'loop' as 'hold' }),
      'cosineAnnealing options.afterEnd',
      'must be one of "hold", "periodic", got "loop"',
    );
    expectError(
      () => piecewiseConstant({ boundaries: [1], values: [1, 2], atBoundary: 'after' as 'next' }),
      'piecewiseConstant options.atBoundary',
      'must be one of "previous", "next", got "after"',
    );
    expectError(
      () => exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, staircase: 'yes' as unknown as boolean }),
      'exponentialDecay options.staircase',
      'must be true or false, got "yes"',
    );
  });

  it('an unsorted list names the element and the one before it', () => {
    expect(
      expectError(
        () => multiStep({ initialValue: 1, milestones: [30, 10] }),
        'multiStep options.milestones[1]',
        'must not be less than the element before it (30): the list must be sorted, got 10',
      ).value,
    ).toBe(10);
    expectError(
      () => piecewiseConstant({ boundaries: [5, 5], values: [1, 2, 3] }),
      'piecewiseConstant options.boundaries[1]',
      'must be greater than the element before it (5): the list must be strictly increasing, got 5',
    );
    expectError(
      () => piecewiseConstant({ boundaries: [5, 3], values: [1, 2, 3] }),
      'piecewiseConstant options.boundaries[1]',
      'strictly increasing, got 3',
    );
    // A bad element inside a list.
    expectError(
      () => multiStep({ initialValue: 1, milestones: [1, 2.5] }),
      'multiStep options.milestones[1]',
      'must be an integer >= 0, got 2.5',
    );
    expectError(() => piecewiseConstant({ boundaries: [1], values: [1, NaN] }), 'piecewiseConstant options.values[1]', 'got NaN');
    // Not a list at all.
    expectError(
      () => multiStep({ initialValue: 1, milestones: 5 as unknown as number[] }),
      'multiStep options.milestones',
      'must be an array',
      'got 5',
    );
  });

  it('an empty list', () => {
    const e = expectError(
      () => multiStep({ initialValue: 1, milestones: [] }),
      'multiStep options.milestones',
      'must have at least 1 element, got an array of length 0',
    );
    expect(e.value).toEqual([]);
    expectError(
      () => piecewiseConstant({ boundaries: [], values: [1] }),
      'piecewiseConstant options.boundaries',
      'must have at least 1 element, got an array of length 0',
    );
  });

  it('a list of the wrong length says which length it needs', () => {
    expect(
      expectError(() => piecewiseConstant({ boundaries: [10, 20], values: [1, 0.5] }), 'piecewiseConstant options.values').message,
    ).toBe('piecewiseConstant options.values must have boundaries.length + 1 = 3 elements, got an array of length 2');
    expectError(
      () => piecewiseConstant({ boundaries: [10], values: [1, 0.5, 0.1] }),
      'piecewiseConstant options.values',
      'boundaries.length + 1 = 2 elements, got an array of length 3',
    );
  });

  it('an unknown option lists the known ones', () => {
    const e = expectError(() => cosineAnnealing({ initialValue: 1, steps: 10, T_max: 10 } as never), 'cosineAnnealing options.T_max');
    expect(e.message).toBe(
      'cosineAnnealing options.T_max is not a known option; known options: initialValue, steps, minValue, afterEnd, exponent, got "T_max"',
    );
    expect(e.value).toBe('T_max');
    expectError(
      () => reduceOnPlateau({ initialValue: 1, min_lr: 0 } as never),
      'reduceOnPlateau options.min_lr',
      'known options: initialValue, mode, factor, patience, threshold, thresholdMode, cooldown, minValue, eps',
    );
  });

  it('a missing required option names it and says what it is for', () => {
    expectError(
      () => cosineAnnealing({ initialValue: 1 } as never),
      'cosineAnnealing options.steps',
      'is required (steps from initialValue to minValue)',
    );
    expectError(() => warmup({ steps: 3 } as never), 'warmup options.schedule', 'is required');
  });

  it('options that are not an object', () => {
    expectError(() => cosineAnnealing(null as never), 'cosineAnnealing options', 'must be a plain object of options, got null');
    expectError(() => cosineAnnealing([] as never), 'cosineAnnealing options', 'got an array of length 0');
    expectError(() => constant(0.1 as never), 'constant options', 'got 0.1');
  });

  it('a __proto__ key is refused (and nothing reaches Object.prototype)', () => {
    const options = JSON.parse('{"initialValue": 1, "steps": 2, "__proto__": {"polluted": true}}') as {
      initialValue: number;
      steps: number;
    };
    const e = expectError(
      () => cosineAnnealing(options),
      'cosineAnnealing options.__proto__',
      'is a forbidden key (it could reach Object.prototype), got "__proto__"',
    );
    expect(e.value).toBe('__proto__');
    expectError(
      () => cosineAnnealing({ initialValue: 1, steps: 2, constructor: 1 } as never),
      'cosineAnnealing options.constructor',
      'is a forbidden key',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cross-option rules name the option and the value they conflict with', () => {
    expectError(
      () => cosineRestarts({ initialValue: 0.1, firstPeriod: 10, minValue: 0.5 }),
      'cosineRestarts options.minValue',
      'must be <= initialValue (0.1), got 0.5',
    );
    expectError(
      () => exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, endValue: 2 }),
      'exponentialDecay options.endValue',
      'must be <= initialValue (1) when decayRate < 1, got 2',
    );
    expectError(
      () => oneCycle({ maxValue: 1, totalSteps: 2 }),
      'oneCycle options.pctStart',
      'leaves an empty phase with totalSteps = 2',
      'got 0.3',
    );
    expectError(
      () => warmup({ steps: 3, schedule: (() => 1) as unknown as Schedule }),
      'warmup options.schedule',
      'must be a schedule made by stepsize',
      'got a function',
    );
  });
});

describe('JSON specs: JSON paths, known types and options, refused keys and functions', () => {
  it('NaN and Infinity values (NaN from an object, Infinity from 1e999 in the text)', () => {
    expectError(() => scheduleFromJSON({ type: 'constant', value: NaN }), '$.value', 'must be a finite number >= 0, got NaN');
    expect(expectError(() => scheduleFromJSON('{"type": "constant", "value": 1e999}'), '$.value', 'got Infinity').value).toBe(Infinity);
    expectError(() => scheduleFromJSON({ type: 'constant', value: '0.1' }), '$.value', 'got "0.1"');
  });

  it('nested problems carry the full JSON path', () => {
    const spec = {
      type: 'sequence',
      boundaries: [5],
      schedules: [
        { type: 'constant', value: 1 },
        { type: 'warmup', steps: 2, schedule: { type: 'cosineAnnealing', initialValue: 1, steps: -3 } },
      ],
    };
    const e = expectError(() => scheduleFromJSON(spec), '$.schedules[1].schedule.steps');
    expect(e.message).toBe('$.schedules[1].schedule.steps must be an integer >= 1, got -3');
    expectError(
      () => scheduleFromJSON({ type: 'multiStep', initialValue: 1, milestones: [3, 2] }),
      '$.milestones[1]',
      'the list must be sorted, got 2',
    );
    expectError(
      () => scheduleFromJSON({ type: 'multiStep', initialValue: 1, milestones: [] }),
      '$.milestones',
      'must have at least 1 element, got an array of length 0',
    );
    expectError(
      () => scheduleFromJSON({ type: 'piecewiseConstant', boundaries: [1, 2], values: [1] }),
      '$.values',
      'must have at least 2 elements, got an array of length 1',
    );
    expectError(
      () => scheduleFromJSON({ type: 'piecewiseConstant', boundaries: [1, 2], values: [1, 2] }),
      '$.values',
      'boundaries.length + 1 = 3 elements, got an array of length 2',
    );
    expectError(
      () => scheduleFromJSON({ type: 'stepDecay', initialValue: 1, stepSize: 2.5 }),
      '$.stepSize',
      'must be an integer >= 1, got 2.5',
    );
  });

  it('an unknown key lists the known options (state is only known to metric-driven types)', () => {
    const e = expectError(() => scheduleFromJSON({ type: 'cosineAnnealing', initialValue: 1, steps: 10, eta_min: 0 }), '$.eta_min');
    expect(e.message).toBe(
      '$.eta_min is not a known option; known options: initialValue, steps, minValue, afterEnd, exponent, got "eta_min"',
    );
    expectError(
      () => scheduleFromJSON({ type: 'constant', value: 1, state: {} }),
      '$.state',
      'is not a known option; known options: value',
    );
    // `$schema` is accepted (editor support).
    expect(scheduleFromJSON({ $schema: './schedule.schema.json', type: 'constant', value: 1 })(0)).toBe(1);
  });

  it('an unknown type lists the known types (not the code-only ones)', () => {
    const e = expectError(() => scheduleFromJSON({ type: 'cosine', steps: 10 }), '$.type');
    expect(e.message).toBe(`$.type is not a known schedule type; known types: ${knownTypes}, got "cosine"`);
    expect(e.value).toBe('cosine');
    for (const type of ['constant', 'cosineAnnealing', 'warmup', 'reduceOnPlateau', 'adaGradNorm']) expect(e.message).toContain(type);
    expect(e.message).not.toContain('lambdaFactor');
    expect(e.message).not.toContain('multiplicative');
    expectError(
      () => scheduleFromJSON({ type: 'warmup', steps: 2, schedule: { type: 'StepLR' } }),
      '$.schedule.type',
      'is not a known schedule type',
      'got "StepLR"',
    );
    // Names on Object.prototype are not types.
    expectError(() => scheduleFromJSON({ type: 'toString' }), '$.type', 'is not a known schedule type', 'got "toString"');
    expectError(() => scheduleFromJSON({ type: '__proto__' }), '$.type', 'is not a known schedule type', 'got "__proto__"');
  });

  it('a missing type lists the known types', () => {
    const e = expectError(() => scheduleFromJSON({ initialValue: 1, steps: 10 }), '$.type');
    expect(e.message).toBe(`$.type is required; known types: ${knownTypes}, got undefined`);
    expectError(
      () => scheduleFromJSON({ type: 'scale', factor: 2, schedule: { value: 1 } }),
      '$.schedule.type',
      'is required; known types:',
    );
    expectError(() => scheduleFromJSON({ type: 5 }), '$.type', 'must be a string, got 5');
  });

  it('a __proto__ key is refused at any depth, and nothing reaches Object.prototype', () => {
    expect(
      expectError(() => scheduleFromJSON('{"type": "constant", "value": 1, "__proto__": {"polluted": true}}'), '$.__proto__').message,
    ).toBe('$.__proto__ is a forbidden key (it could reach Object.prototype), got "__proto__"');
    expectError(
      () =>
        scheduleFromJSON(
          '{"type": "sequence", "boundaries": [3], "schedules": [{"type": "constant", "value": 1, "__proto__": {"polluted": true}}, {"type": "constant", "value": 2}]}',
        ),
      '$.schedules[0].__proto__',
      'is a forbidden key',
    );
    expectError(() => scheduleFromJSON('{"__proto__": {"type": "constant"}, "value": 1}'), '$.__proto__', 'is a forbidden key');
    expectError(() => scheduleFromJSON({ type: 'constant', value: 1, constructor: {} }), '$.constructor', 'is a forbidden key');
    expectError(() => scheduleFromJSON({ type: 'constant', value: 1, prototype: {} }), '$.prototype', 'is a forbidden key');
    expectError(
      () =>
        scheduleFromJSON(
          '{"type": "reduceOnPlateau", "initialValue": 1, "state": {"value": 1, "best": null, "badSteps": 0, "cooldownRemaining": 0, "__proto__": {"polluted": true}}}',
        ),
      '$.state.__proto__',
      'is a forbidden key',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('functions cannot be JSON: the custom-function types are refused with the reason', () => {
    for (const type of ['lambdaFactor', 'multiplicative']) {
      const e = expectError(() => scheduleFromJSON({ type, initialValue: 1, factor: 'step => 0.9 ** step' }), '$.type');
      expect(e.message).toBe(
        `$.type is a custom-function schedule, which JSON cannot hold: functions are code, not data. Build it in code, or use a built-in type, got "${type}"`,
      );
    }
    expectError(
      () => scheduleFromJSON({ type: 'warmup', steps: 3, schedule: { type: 'lambdaFactor', factor: 'x' } }),
      '$.schedule.type',
      'functions are code, not data',
    );
    // A function object smuggled into a spec object is not a number either.
    expectError(() => scheduleFromJSON({ type: 'constant', value: () => 0.1 }), '$.value', 'must be a finite number >= 0, got a function');
    // And a code-only schedule refuses to become JSON.
    expectError(() => JSON.stringify(lambdaFactor({ factor: () => 1 })), 'lambdaFactor options.factor', 'functions are code, not data');
    expectError(
      () => multiplicative({ initialValue: 1, factor: () => 1 }).toJSON(),
      'multiplicative options.factor',
      'functions are code, not data',
    );
  });

  it('JSON text that does not parse', () => {
    const text = '{"type": "constant", "value": 1,}';
    const e = expectError(() => scheduleFromJSON(text), '$', 'is not valid JSON (');
    expect(e.value).toBe(text);
    expect(e.cause).toBeInstanceOf(SyntaxError);
    expectError(() => scheduleFromJSON(''), '$', 'is not valid JSON');
    expectError(() => scheduleFromJSON("{type: 'constant'}"), '$', 'is not valid JSON');
    // Valid JSON that is not a spec object.
    expectError(() => scheduleFromJSON('null'), '$', 'must be a schedule spec object { "type": ..., ...options }, got null');
    expectError(() => scheduleFromJSON('[1, 2]'), '$', 'got an array of length 2');
    expectError(() => scheduleFromJSON('"constant"'), '$', 'got "constant"');
    expectError(() => scheduleFromJSON(42), '$', 'got 42');
  });

  it('nesting deeper than 64 levels is refused at the 65th level; 64 levels are accepted', () => {
    const nest = (levels: number): Record<string, unknown> => {
      let spec: Record<string, unknown> = { type: 'constant', value: 1 };
      for (let i = 0; i < levels; i += 1) spec = { type: 'scale', factor: 1, schedule: spec };
      return spec;
    };
    expect(scheduleFromJSON(nest(64))(0)).toBe(1);
    const e = expectError(() => scheduleFromJSON(nest(65)), `$${'.schedule'.repeat(65)}`, 'is nested deeper than 64 levels, got an object');
    expect(e.path.split('.schedule')).toHaveLength(66);
    expectError(() => scheduleFromJSON(nest(500)), `$${'.schedule'.repeat(65)}`, 'is nested deeper than 64 levels');
    // Deep JSON text ends in the same error, not a stack overflow.
    const depth = 5000;
    const text = `${'{"type": "scale", "factor": 1, "schedule": '.repeat(depth)}{"type": "constant", "value": 1}${'}'.repeat(depth)}`;
    expectError(() => scheduleFromJSON(text), `$${'.schedule'.repeat(65)}`, 'is nested deeper than 64 levels');
    // Lists count as nesting too.
    let list: Record<string, unknown> = { type: 'constant', value: 1 };
    for (let i = 0; i < 65; i += 1) list = { type: 'product', schedules: [list, { type: 'constant', value: 1 }] };
    expectError(() => scheduleFromJSON(list), `$${'.schedules[0]'.repeat(65)}`, 'is nested deeper than 64 levels');
  });

  it('bad metric-driven state', () => {
    const plateau = { type: 'reduceOnPlateau', initialValue: 1 };
    expectError(
      () => scheduleFromJSON({ ...plateau, state: { value: 1, best: null, badSteps: 1.5, cooldownRemaining: 0 } }),
      '$.state.badSteps',
      'must be an integer >= 0, got 1.5',
    );
    expectError(
      () => scheduleFromJSON({ ...plateau, state: { value: -1, best: null, badSteps: 0, cooldownRemaining: 0 } }),
      '$.state.value',
      'got -1',
    );
    expectError(
      () => scheduleFromJSON({ ...plateau, state: { value: 1, best: 'x', badSteps: 0, cooldownRemaining: 0 } }),
      '$.state.best',
      'got "x"',
    );
    expectError(
      () => scheduleFromJSON({ ...plateau, state: { value: 1, best: null, badSteps: 0 } }),
      '$.state.cooldownRemaining',
      'is required',
    );
    expectError(
      () => scheduleFromJSON({ ...plateau, state: { value: 1, best: null, badSteps: 0, cooldownRemaining: 0, lr: 1 } }),
      '$.state.lr',
      'is not a known option',
    );
    expectError(() => scheduleFromJSON({ ...plateau, state: 3 }), '$.state', 'must be a state object, got 3');
    expectError(
      () => scheduleFromJSON({ type: 'adaGradNorm', initialValue: 1, state: { accumulator: 0 } }),
      '$.state.accumulator',
      'got 0',
    );
  });
});

describe('calling a schedule with a bad step', () => {
  const schedules: Schedule[] = [
    constant({ value: 1 }),
    cosineAnnealing({ initialValue: 1, steps: 10 }),
    warmup({ steps: 3, schedule: reduceOnPlateau({ initialValue: 1 }) }),
    lambdaFactor({ factor: () => 1 }),
    multiplicative({ initialValue: 1, factor: () => 1 }),
    scheduleFromJSON({
      type: 'sequence',
      boundaries: [3],
      schedules: [
        { type: 'constant', value: 1 },
        { type: 'linear', initialValue: 1, endValue: 0, steps: 3 },
      ],
    }),
  ];
  const badSteps: [unknown, string][] = [
    [-1, 'got -1'],
    [1.5, 'got 1.5'],
    [NaN, 'got NaN'],
    [2 ** 53, 'got 9007199254740992'],
    [Infinity, 'got Infinity'],
    ['3', 'got "3"'],
    [undefined, 'got undefined'],
  ];

  for (const [step, shown] of badSteps) {
    it(`step ${typeof step === 'string' ? JSON.stringify(step) : String(step)} throws StepsizeError naming the step`, () => {
      for (const s of schedules) {
        const e = expectError(() => s(step as number), `${s.type}(step): step`);
        expect(e.message).toBe(`${s.type}(step): step must be an integer step >= 0 (at most 2^53 - 1), ${shown}`);
        if (typeof step === 'number' && Number.isNaN(step)) expect(e.value).toBeNaN();
        else expect(e.value).toBe(step);
      }
    });
  }

  it('the largest safe step is fine', () => {
    for (const s of schedules.filter((x) => x.type !== 'multiplicative')) expect(Number.isFinite(s(2 ** 53 - 1))).toBe(true);
  });

  it('a value that overflows names the schedule and the step', () => {
    const e = expectError(
      () => exponential({ initialValue: 1, gamma: 2 })(1e12),
      'exponential(1000000000000)',
      'produced Infinity',
      'a growth factor above 1 overflows at large steps',
    );
    expect(e.value).toBe(Infinity);
  });
});
