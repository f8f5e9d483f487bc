// Parameter names are data: a parameter may be called `__proto__`, `constructor` or `toString`
// and is updated, checked, saved and restored exactly as one called `a`; a missing one is
// reported as missing (never found on Object.prototype), and nothing reaches a prototype.
import { describe, expect, it } from 'vitest';
import { adamW } from './builtin/index.js';
import { OptimizerRunner } from './runner.js';
import { stateFromJSON, stateToJSON } from './state.js';
import { arrayOps } from './test-support/array-ops.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/** A record with `name` as an own key (computed keys define properties; `__proto__` included). */
const withName = <T>(name: string, value: T, rest: Record<string, T>): Record<string, T> => ({ [name]: value, ...rest });

/** Adam with every per-parameter record in play: groups by pattern, accumulation, EMA and clipping. */
const optimizer = (name: string) =>
  adamW({
    learningRate: 0.1,
    weightDecay: 0.01,
    accumulationSteps: 2,
    emaDecay: 0.9,
    clipGradientNorm: 1,
    groups: [{ params: [name], learningRate: 0.05 }],
  });

function run(name: string): { params: Record<string, number[]>; json: ReturnType<typeof stateToJSON> } {
  const runner = new OptimizerRunner({
    optimizer: optimizer(name),
    ops: arrayOps,
    params: withName(name, [1, 2], { b: [3] }),
  });
  for (let step = 0; step < 5; step += 1) runner.step(withName(name, [0.5, -0.25 * step], { b: [1] }));
  return { params: runner.params, json: stateToJSON(runner.state, (values) => values) };
}

describe('parameter names are data', () => {
  const reference = run('a');

  for (const name of NAMES) {
    it(`a parameter called ${name} trains, saves and restores as one called "a"`, () => {
      const { params, json } = run(name);
      expect(Object.hasOwn(params, name)).toBe(true);
      expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
      expect(Object.keys(params)).toEqual([name, 'b']);
      expect(params[name]).toEqual(reference.params.a);
      expect(params.b).toEqual(reference.params.b);
      // The state's records hold it as an own key too, and survive JSON.
      const text = JSON.stringify(json);
      expect(text).toEqual(JSON.stringify(reference.json).replaceAll('"a"', JSON.stringify(name)));
      const restored = stateFromJSON(JSON.parse(text), (values) => values, { optimizerType: 'adamW' });
      expect(Object.keys(restored.params)).toEqual([name, 'b']);
      expect(Object.keys(restored.ema)).toEqual([name, 'b']);
      const again = new OptimizerRunner({ optimizer: optimizer(name), ops: arrayOps, params: params });
      again.loadState(restored);
      again.step(withName(name, [0.1, 0.1], { b: [0.1] }));
      expect(Object.hasOwn(again.params, name)).toBe(true);
      expect(({} as Record<string, unknown>).b).toBeUndefined();
    });

    it(`a gradient missing for ${name} is reported missing, not found on Object.prototype`, () => {
      const runner = new OptimizerRunner({
        optimizer: adamW({ learningRate: 0.1 }),
        ops: arrayOps,
        params: withName(name, [1, 2], { b: [3] }),
      });
      expect(() => runner.step({ b: [1] })).toThrow(new RegExp(`gradients\\.${name} is missing: every parameter needs a gradient`));
      expect(() => runner.step(withName(name, [1, 1], { b: [1], extra: [1] }))).toThrow(/gradients\.extra is not a parameter/);
      // A state without it is refused by name when loaded.
      const other = new OptimizerRunner({ optimizer: adamW({ learningRate: 0.1 }), ops: arrayOps, params: { b: [3] } });
      other.step({ b: [1] });
      expect(() => runner.loadState(other.state)).toThrow(new RegExp(`params\\.${name} is missing`));
      // Nothing changed: the refused steps did not count.
      expect(runner.state.step).toBe(0);
      expect(runner.params[name]).toEqual([1, 2]);
    });
  }

  it('a name that is not a parameter is refused even when Object.prototype has it', () => {
    const runner = new OptimizerRunner({ optimizer: adamW({ learningRate: 0.1 }), ops: arrayOps, params: { w: [1] } });
    for (const name of NAMES) {
      expect(() => runner.step(withName(name, [1], { w: [1] })), name).toThrow(
        new RegExp(`gradients\\.${name} is not a parameter \\(w\\)`),
      );
    }
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});
