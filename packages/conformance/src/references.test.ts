import { readFileSync } from 'node:fs';
import { float32Ops, OptimizerRunner, optimizerFromJSON } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { referenceOptimizerCases, referenceOptimizerFixturePath } from './fixtures.js';
import { ESTIMATE_PREFIX, ESTIMATE_TOLERANCE, referenceCase, type ReferenceOptimizerFixture } from './references.js';
import { relativeError } from './runner.js';

const fixture = JSON.parse(readFileSync(referenceOptimizerFixturePath, 'utf8')) as ReferenceOptimizerFixture;

describe('the torch 2.13 / optax 0.2.8 reference cases', () => {
  it('map every copied case to a stepsize optimizer spec, with its provenance', () => {
    const file = referenceOptimizerCases();
    expect(file.source).toMatch(/optax 0\.2\.8/);
    expect(file.cases.map((c) => c.optimizer.type)).toEqual([
      'scheduleFreeAdamW',
      'scheduleFreeSgd',
      'adopt',
      'ademamix',
      'lars',
      'adabelief',
      'lion',
      'lamb',
      'prodigy',
      'prodigy',
      'dAdaptAdamW',
      'dAdaptAdamW',
      'dog',
      'muon',
      'muon',
      'muon',
      'adafactor',
    ]);
    // PyTorch 2.x references map through their own names (torch.optim.Muon: the pytorch convention).
    const torchMuon = file.cases.find((c) => c.name.includes('(torch_muon_match_rms)'));
    expect(torchMuon?.optimizer).toMatchObject({ convention: 'pytorch', learningRateAdjustment: 'matchRmsAdamW', nesterov: false });
    expect(torchMuon?.tolerance).toBe(0.1);
    expect(file.cases.find((c) => c.optimizer.type === 'adafactor')?.optimizer).toMatchObject({ epsilon2: 1e-3, clipThreshold: 1 });
    const free = file.cases[0];
    expect(free?.evalTrajectory?.length).toBe(free?.gradients.length);
    // optax's warmup_steps=5 is a linear warmup from 0 (warmup_constant_schedule).
    expect(free?.optimizer.learningRate).toEqual({ type: 'linear', initialValue: 0, endValue: 0.02, steps: 5 });
    // A learning-rate-free case comes twice: its first updates at 1e-5, all of them at ESTIMATE_TOLERANCE.
    const prodigy = file.cases.filter((c) => c.optimizer.type === 'prodigy');
    expect(prodigy.map((c) => [c.gradients.length, c.tolerance])).toEqual([
      [ESTIMATE_PREFIX.prodigy, undefined],
      [60, ESTIMATE_TOLERANCE],
    ]);
  });

  // The learning-rate-free estimates amplify float32 rounding differences (see ESTIMATE_PREFIX):
  // over the whole trajectory the engine stays within the bound measured here.
  for (const name of Object.keys(ESTIMATE_PREFIX)) {
    it(`${name}: all ${fixture.cases.find((c) => c.name === name)?.gradients.length} updates stay within 5e-5 of optax`, () => {
      const c = referenceCase(fixture.cases.find((x) => x.name === name) as ReferenceOptimizerFixture['cases'][number]);
      const params = Object.fromEntries(Object.entries(c.params).map(([key, t]) => [key, Float32Array.from(t.values)]));
      const runner = new OptimizerRunner({ optimizer: optimizerFromJSON(c.optimizer), ops: float32Ops, params });
      let worst = 0;
      c.gradients.forEach((gradient, t) => {
        runner.step(Object.fromEntries(Object.entries(gradient).map(([key, values]) => [key, Float32Array.from(values)])));
        for (const [key, expected] of Object.entries(c.trajectory[t] ?? {})) {
          const scale = Math.max(...expected.map(Math.abs));
          expected.forEach((value, i) => {
            worst = Math.max(worst, relativeError(runner.params[key]?.[i] as number, value, scale));
          });
        }
      });
      expect(worst).toBeLessThan(ESTIMATE_TOLERANCE);
    });
  }
});
