import { describe, expect, it } from 'vitest';
import { lossGuard } from '../advisor/guard.js';
import type { GuardState } from '../advisor/guard-state.js';
import { adamW, sgd } from '../optimizers/builtin/index.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { cosineAnnealing } from '../schedules/cosine.js';
import { type Checkpoint, readCheckpoint } from './checkpoint.js';
import { BatchSampler, type Dataset } from './data.js';
import { scaleLearningRate } from './guard.js';
import { linearBackend } from './test-support/linear-backend.js';
import { train } from './train.js';

/** y = 2 x0 − x1 + 0.5 (+ optional noise the model cannot fit), `examples` examples. */
function line(examples: number, noise = 0): Dataset {
  const inputs = Float32Array.from({ length: examples * 2 }, (_, i) => Math.sin(i * 1.3));
  const targets = Float32Array.from(
    { length: examples },
    (_, e) => 2 * (inputs[2 * e] as number) - (inputs[2 * e + 1] as number) + 0.5 + noise * Math.sin(e * 7.77),
  );
  return { inputs, targets, examples };
}

/**
 * The linear test backend with batch `cursors` corrupted: their inputs times `factor` (or NaN).
 * The batches are known by their content, so a resumed run meets the same corruption.
 */
function corrupted(data: Dataset, batchSize: number, cursors: readonly number[], factor: number) {
  const sampler = new BatchSampler({ data, batchSize, seed: 0 });
  const bad = cursors.map((cursor) => Float32Array.from(sampler.batch(cursor).inputs));
  const backend = linearBackend(2);
  const lossAndGradients = backend.lossAndGradients.bind(backend);
  return {
    ...backend,
    lossAndGradients: (batch: Dataset) => {
      const hit = bad.some((inputs) => inputs.every((v, i) => v === batch.inputs[i]));
      if (!hit) return lossAndGradients(batch);
      return lossAndGradients({ ...batch, inputs: batch.inputs.map((v) => v * factor) });
    },
  };
}

const finalLoss = (history: readonly { loss: number }[]): number => history.slice(-20).reduce((s, r) => s + r.loss, 0) / 20;

describe('train with a guard (lossGuard)', () => {
  const data = line(200);
  const run = { data, batchSize: 5, steps: 300 } as const;

  it('rolls back a corrupted batch: the spike leaves the history, the rate is halved, the run ends where a clean run does', async () => {
    const clean = await train({ ...run, backend: linearBackend(2), optimizer: sgd({ learningRate: 0.05 }) });
    const unguarded = await train({
      ...run,
      backend: corrupted(data, 5, [150], 30),
      optimizer: sgd({ learningRate: 0.05, nonFinite: 'propagate' }),
    });
    const actions: unknown[] = [];
    const guarded = await train({
      ...run,
      backend: corrupted(data, 5, [150], 30),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard({ plateauFactor: 0 }),
      onGuardAction: (action) => actions.push(action),
    });
    // Unguarded, the one bad batch wrecks the parameters for the rest of the run (or for good).
    expect(Number.isFinite(finalLoss(unguarded.history)) ? finalLoss(unguarded.history) : Infinity).toBeGreaterThan(
      10 * finalLoss(clean.history),
    );
    expect(guarded.guardActions).toHaveLength(1);
    const [action] = guarded.guardActions;
    expect(action).toMatchObject({ action: 'rollback', learningRateScale: 0.5 });
    expect(['spike', 'diverging']).toContain(action?.reason);
    // The update after batch 150 is where it showed; the snapshot before it is at 150 - (150 % 50) or earlier.
    expect(action?.step).toBeGreaterThanOrEqual(150);
    expect(action?.toStep).toBeLessThanOrEqual(150);
    expect((action?.toStep ?? 1) % 50).toBe(0);
    expect(actions).toEqual(guarded.guardActions);
    expect(guarded).toMatchObject({ step: 300, stopReason: 'completed' });
    // One record per update in the kept run, in order; the rate after the rollback is half.
    expect(guarded.history.map((r) => r.step)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(guarded.history[(action?.toStep as number) + 1]?.learningRate).toBeCloseTo(0.025, 12);
    expect(guarded.history[(action?.toStep as number) - 1]?.learningRate).toBe(0.05);
    expect(finalLoss(guarded.history)).toBeLessThan(2 * finalLoss(clean.history) + 1e-3);
    expect(guarded.optimizer.toJSON().learningRate).toBeCloseTo(0.025, 12);
  });

  it('a non-finite gradient (nonFinite: throw) rolls back instead of throwing', async () => {
    const result = await train({
      ...run,
      backend: corrupted(data, 5, [120], Number.NaN),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard({ plateauFactor: 0 }),
    });
    expect(result.guardActions.map((a) => [a.action, a.reason, a.toStep])).toEqual([['rollback', 'diverging', 100]]);
    expect(result.guardActions[0]?.summary).toMatch(/not finite/);
    expect(result).toMatchObject({ step: 300, stopReason: 'completed' });
  });

  it('after maxRollbacks the next trouble ends the run at the last good snapshot (stopReason guard)', async () => {
    const cursors = Array.from({ length: 400 }, (_, i) => 60 + i);
    const result = await train({
      ...run,
      backend: corrupted(data, 5, cursors, Number.NaN),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard({ maxRollbacks: 2, plateauFactor: 0 }),
    });
    expect(result.guardActions.map((a) => a.action)).toEqual(['rollback', 'rollback', 'stop']);
    expect(result.guardActions.map((a) => a.learningRateScale)).toEqual([0.5, 0.25, 0.25]);
    // Batch 60 → back to 50; batch 61 fails at once (the snapshot is suspect) → back to 0; then the stop, at the newest snapshot.
    expect(result.guardActions.map((a) => a.toStep)).toEqual([50, 0, 0]);
    expect(result).toMatchObject({ stopReason: 'guard', step: 0 });
    const checkpoint = await result.checkpoint();
    expect(checkpoint.params.w?.values.every(Number.isFinite)).toBe(true);
  });

  it('a too-high rate that blows up is cut until training is stable', async () => {
    const result = await train({
      ...run,
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 3 }),
      guard: lossGuard({ plateauFactor: 0 }),
    });
    expect(result.guardActions.length).toBeGreaterThanOrEqual(1);
    expect(result.guardActions.every((a) => a.action === 'rollback')).toBe(true);
    expect(result.stopReason).toBe('completed');
    expect(finalLoss(result.history)).toBeLessThan(1e-3);
  });

  it('on a plateau at a constant rate it reduces the rate (and not under a decaying schedule)', async () => {
    const noisy = line(200, 0.3);
    const constant = await train({
      data: noisy,
      batchSize: 5,
      steps: 600,
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard(),
    });
    const reductions = constant.guardActions.filter((a) => a.action === 'reduce');
    expect(reductions.length).toBeGreaterThanOrEqual(1);
    expect(reductions[0]).toMatchObject({ reason: 'plateau', learningRateScale: 0.5 });
    expect(constant.history.at(-1)?.learningRate).toBeLessThan(0.05);
    const decaying = await train({
      data: noisy,
      batchSize: 5,
      steps: 600,
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: cosineAnnealing({ initialValue: 0.05, steps: 600 }) }),
      guard: lossGuard(),
    });
    expect(decaying.guardActions).toEqual([]);
    const off = await train({
      data: noisy,
      batchSize: 5,
      steps: 600,
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard({ plateauFactor: 0 }),
    });
    expect(off.guardActions).toEqual([]);
  });

  it('a run resumed from any checkpoint acts exactly as the uninterrupted run (actions, snapshots and parameters)', async () => {
    const saved: Checkpoint[] = [];
    const options = { ...run, optimizer: adamW({ learningRate: 0.05 }), guard: lossGuard({ snapshotEvery: 20, plateauFactor: 0 }) };
    const whole = await train({
      ...options,
      backend: corrupted(data, 5, [150], 30),
      checkpoint: { every: 25, save: (c) => void saved.push(JSON.parse(JSON.stringify(c))) },
    });
    expect(whole.guardActions).toHaveLength(1);
    const end = await whole.checkpoint();
    for (const at of [saved[2], saved[6], saved[8]] as Checkpoint[]) {
      const resumed = await train({ ...options, backend: corrupted(data, 5, [150], 30), resumeFrom: JSON.stringify(at) });
      expect(resumed.guardActions).toEqual(whole.guardActions);
      expect((await resumed.checkpoint()).params).toEqual(end.params);
    }
    // The guard's state is in the checkpoint, snapshots included.
    const guardState = readCheckpoint(saved[8]).loop.guard as GuardState;
    expect(guardState?.snapshots.length).toBeGreaterThanOrEqual(2);
    expect(guardState?.actions).toEqual(whole.guardActions);
  });

  it('refuses a resume with another guard or none, and bad guard state, naming the field', async () => {
    const saved: Checkpoint[] = [];
    await train({
      ...run,
      steps: 60,
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.05 }),
      guard: lossGuard(),
      checkpoint: { every: 60, save: (c) => void saved.push(c) },
    });
    const checkpoint = saved[0] as Checkpoint;
    await expect(train({ ...run, backend: linearBackend(2), resumeFrom: checkpoint })).rejects.toThrow(
      /checkpoint\.loop\.guard is present/,
    );
    await expect(train({ ...run, backend: linearBackend(2), resumeFrom: checkpoint, guard: lossGuard({ keep: 3 }) })).rejects.toThrow(
      /checkpoint\.loop\.guard\.settings differ from train options\.guard in keep \(2 saved, 3 given\)/,
    );
    const broken = JSON.parse(JSON.stringify(checkpoint));
    broken.loop.guard.snapshots[0].checkpoint.params.w.values[1] = 'x';
    const backend = linearBackend(2);
    const before = await backend.readParameters();
    const resume = (from: unknown) => train({ ...run, backend, resumeFrom: from as Checkpoint, guard: lossGuard() });
    await expect(resume(broken)).rejects.toThrow(/checkpoint\.loop\.guard\.snapshots\[0\]\.checkpoint\.params\.w\.values\[1\]/);
    broken.loop.guard.snapshots = [];
    await expect(resume(broken)).rejects.toThrow(/checkpoint\.loop\.guard\.snapshots must be a non-empty array/);
    broken.loop.guard = { ...(checkpoint.loop.guard as object), recent: { steps: [70], losses: [1], learningRates: [0.05] } };
    await expect(resume(broken)).rejects.toThrow(
      /checkpoint\.loop\.guard\.recent\.steps must increase and stay below checkpoint\.step \(60\)/,
    );
    // Nothing was touched.
    expect(await backend.readParameters()).toEqual(before);
  });

  it('checks its options, naming each bad one', () => {
    expect(() => lossGuard({ rollbackFactor: 1 })).toThrow(/lossGuard options\.rollbackFactor must be a number in \(0, 1\)/);
    expect(() => lossGuard({ window: 4 })).toThrow(/lossGuard options\.window must be an odd integer >= 3/);
    expect(() => lossGuard({ snapshotEvery: 0 })).toThrow(/lossGuard options\.snapshotEvery must be an integer >= 1/);
    expect(() => lossGuard({ memory: 20 })).toThrow(/lossGuard options\.memory must be at least 4 windows \(44 updates\)/);
    expect(() => lossGuard({ patience: 3 } as never)).toThrow(/lossGuard options\.patience is not an option/);
  });
});

describe('scaleLearningRate', () => {
  it('multiplies numbers, wraps schedules in scale (metric state kept), and scales group rates', () => {
    const schedule = cosineAnnealing({ initialValue: 0.1, steps: 10 });
    const scaled = scaleLearningRate(sgd({ learningRate: schedule, groups: [{ params: ['b'], learningRate: 0.2 }] }), 0.5).toJSON();
    expect(scaled.learningRate).toEqual({ type: 'scale', factor: 0.5, schedule: schedule.toJSON() });
    expect((scaled.groups as { learningRate: number }[])[0]?.learningRate).toBe(0.1);
    expect(optimizerFromJSON(scaled).toJSON()).toEqual(scaled);
    expect(() => scaleLearningRate(sgd({ learningRate: 0.1 }), 0)).toThrow(/scaleLearningRate\.factor must be a finite number > 0/);
  });
});
