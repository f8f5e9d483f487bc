import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { adam, adamW, optimizerDefinitions, rmsprop, sgd } from './builtin/index.js';
import { createOptimizer } from './optimizer.js';
import { builtinSlotConstraints, FLOAT32_MAX, mapState, type OptimizerState, stateFromJSON, stateTensors, stateToJSON } from './state.js';
import { compileOptimizer } from './step.js';

/** The error `f` throws (fails the test when it throws none). */
function errorOf(f: () => unknown): StepsizeError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(StepsizeError);
    return error as StepsizeError;
  }
  throw new Error('expected an error');
}

const state: OptimizerState<Float32Array> = {
  step: 3,
  skipped: 1,
  microStep: 0,
  groups: [{ plateau: 2 }],
  params: { w: { expAvg: Float32Array.of(1, 2), expAvgSq: Float32Array.of(3, 4) }, b: { expAvg: Float32Array.of(5) } },
  accumulated: { w: Float32Array.of(6, 7) },
  ema: { b: Float32Array.of(8) },
};

describe('optimizer state', () => {
  it('lists every tensor: slots by parameter, then accumulators, then averages', () => {
    expect(stateTensors(state).map((t) => [...t])).toEqual([[1, 2], [3, 4], [5], [6, 7], [8]]);
  });

  it('maps tensors and keeps counters and host state apart from the original', () => {
    const copy = mapState(state, (t) => Float32Array.from(t, (v) => v * 2));
    expect(stateTensors(copy).map((t) => [...t])).toEqual([[2, 4], [6, 8], [10], [12, 14], [16]]);
    expect(copy).toMatchObject({ step: 3, skipped: 1, microStep: 0, groups: [{ plateau: 2 }] });
    expect(copy.groups[0]).not.toBe(state.groups[0]);
  });

  it('round-trips through JSON exactly', () => {
    const odd = {
      ...state,
      params: { w: { expAvg: Float32Array.of(Math.fround(0.1), -3.4028234663852886e38) } },
      accumulated: {},
      ema: {},
    };
    const json = JSON.parse(JSON.stringify(stateToJSON(odd, (t) => t)));
    const back = stateFromJSON(json, (values) => Float32Array.from(values));
    expect(back).toEqual(odd);
  });

  it('refuses every value that is not a finite float32 number, naming the path and the value', () => {
    const json = JSON.parse(JSON.stringify(stateToJSON(state, (t) => t)));
    for (const bad of [null, true, '1e3', [5], 'x', 1e39, -1e39, 3.5e38]) {
      for (const [where, set] of [
        ['state.params.w.expAvg[1]', (j: typeof json) => (j.params.w.expAvg[1] = bad)],
        ['state.accumulated.w[0]', (j: typeof json) => (j.accumulated.w[0] = bad)],
        ['state.ema.b[0]', (j: typeof json) => (j.ema.b[0] = bad)],
        ['state.groups[0].plateau', (j: typeof json) => (j.groups[0].plateau = bad)],
      ] as const) {
        const changed = structuredClone(json);
        set(changed);
        const error = errorOf(() => stateFromJSON(changed, (values) => Float32Array.from(values)));
        expect(error.path).toBe(where);
        expect(error.value).toEqual(bad);
        expect(error.message).toContain('must be a finite float32 number');
      }
    }
    // The largest float32 is fine, and exact.
    const edge = structuredClone(json);
    edge.params.w.expAvg = [FLOAT32_MAX, -FLOAT32_MAX];
    expect([...(stateFromJSON(edge, (values) => Float32Array.from(values)).params.w?.expAvg ?? [])]).toEqual([FLOAT32_MAX, -FLOAT32_MAX]);
  });

  it("refuses negative second moments of the optimizer type's math, and converts nothing before everything is checked", () => {
    const json = JSON.parse(JSON.stringify(stateToJSON(state, (t) => t)));
    json.params.w.expAvgSq[1] = -1;
    const converted: number[][] = [];
    const error = errorOf(() =>
      stateFromJSON(json, (values) => converted.push(values), { path: 'checkpoint.optimizerState', optimizerType: 'adam' }),
    );
    expect(error.path).toBe('checkpoint.optimizerState.params.w.expAvgSq[1]');
    expect(error.value).toBe(-1);
    expect(error.message).toMatch(/must be a finite float32 number >= 0/);
    expect(converted).toEqual([]);
    // A first moment may be negative; without a type no sign is known.
    json.params.w.expAvg[0] = -1;
    json.params.w.expAvgSq[1] = 4;
    expect(() => stateFromJSON(json, (v) => v, { optimizerType: 'adam' })).not.toThrow();
    json.params.w.expAvgSq[1] = -1;
    expect(() => stateFromJSON(json, (v) => v)).not.toThrow();
  });

  it('knows the sign every slot of every built-in optimizer needs', () => {
    // Every structural flag on, so that every slot exists.
    const flagged: Record<string, () => ReturnType<typeof adam>> = {
      sgd: () => sgd({ learningRate: 0.1, momentum: 0.9 }),
      adam: () => adam({ amsgrad: true }),
      adamW: () => adamW({ amsgrad: true }),
      rmsprop: () => rmsprop({ momentum: 0.5, centered: true }),
    };
    expect(Object.keys(builtinSlotConstraints).sort()).toEqual(optimizerDefinitions.map((d) => d.type).sort());
    for (const definition of optimizerDefinitions) {
      const optimizer = flagged[definition.type]?.() ?? createOptimizer(definition, {});
      // Muon and Adafactor choose slots by shape: a vector's and a matrix's together.
      const compiled = compileOptimizer(optimizer);
      const slots = new Set([...compiled.slotNames(['w'], 'w', [3]), ...compiled.slotNames(['w'], 'w', [2, 3])]);
      expect(Object.keys(builtinSlotConstraints[definition.type] ?? {}).sort(), definition.type).toEqual([...slots].sort());
    }
    expect(builtinSlotConstraints.adagrad).toEqual({ sum: 'nonNegative' });
    expect(builtinSlotConstraints.rmsprop).toEqual({ squareAvg: 'nonNegative', momentumBuffer: 'signed', gradAvg: 'signed' });
  });
});
