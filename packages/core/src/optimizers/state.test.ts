import { describe, expect, it } from 'vitest';
import { mapState, type OptimizerState, stateFromJSON, stateTensors, stateToJSON } from './state.js';

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
});
