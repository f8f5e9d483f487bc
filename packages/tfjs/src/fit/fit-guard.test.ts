import { sgd } from '@stepsize/core';
import { lossGuard } from '@stepsize/core/advisor';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Callback, initializers, type LayersModel, layers, type Logs, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitGuard } from './fit-guard.js';
import { StepsizeOptimizer } from '../optimizer.js';

// Every test here trains: generous timeouts, so that none depends on the machine's speed.
const TRAINS = { timeout: 300_000 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const EXAMPLES = 2000;

/** y = 2 x0 − x1 + 0.5 over 2000 examples, rows `corrupt` (a batch of 10) with inputs times `factor`. */
function data(corrupt: readonly number[] = [], factor = 30): { x: tf.Tensor; y: tf.Tensor } {
  const inputs = Float32Array.from({ length: EXAMPLES * 2 }, (_, i) => Math.sin(i * 1.3));
  const targets = Float32Array.from({ length: EXAMPLES }, (_, e) => 2 * (inputs[2 * e] as number) - (inputs[2 * e + 1] as number) + 0.5);
  for (const row of corrupt) {
    inputs[2 * row] = (inputs[2 * row] as number) * factor;
    inputs[2 * row + 1] = (inputs[2 * row + 1] as number) * factor;
  }
  return { x: tf.tensor2d(inputs, [EXAMPLES, 2]), y: tf.tensor2d(targets, [EXAMPLES, 1]) };
}

function model(learningRate: number, nonFinite: 'skip' | 'propagate' = 'propagate'): LayersModel {
  const net = sequential({
    layers: [layers.dense({ units: 1, inputShape: [2], kernelInitializer: initializers.zeros(), biasInitializer: initializers.zeros() })],
  });
  net.compile({ optimizer: new StepsizeOptimizer(sgd({ learningRate, nonFinite })), loss: 'meanSquaredError' });
  return net;
}

/** Records every batch loss (after the guard ran, so a rolled-back batch is the spike itself). */
class Losses extends Callback {
  readonly values: number[] = [];
  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    const loss = logs?.loss as unknown;
    this.values.push(loss instanceof tf.Tensor ? ((await loss.data())[0] as number) : (loss as number));
  }
}

const tail = (values: readonly number[]): number => values.slice(-20).reduce((a, b) => a + b, 0) / 20;
const corruptBatch = Array.from({ length: 10 }, (_, i) => 1000 + i);

describe('fitGuard (model.fit)', () => {
  it('rolls back a corrupted batch and ends near the clean run; unguarded, the run is wrecked', TRAINS, async () => {
    const fitRun = async (corrupt: readonly number[], guarded: boolean) => {
      const { x, y } = data(corrupt);
      const net = model(0.05);
      const losses = new Losses();
      const guard = fitGuard({ guard: lossGuard({ plateauFactor: 0 }) });
      await net.fit(x, y, { batchSize: 10, epochs: 1, shuffle: false, callbacks: guarded ? [guard, losses] : [losses] });
      tf.dispose([x, y]);
      net.dispose();
      return { losses: losses.values, actions: guard.actions };
    };
    const clean = await fitRun([], false);
    const wrecked = await fitRun(corruptBatch, false);
    const guarded = await fitRun(corruptBatch, true);
    const wreckedTail = Number.isFinite(tail(wrecked.losses)) ? tail(wrecked.losses) : Number.POSITIVE_INFINITY;
    expect(wreckedTail).toBeGreaterThan(10 * tail(clean.losses));
    expect(guarded.actions).toHaveLength(1);
    expect(guarded.actions[0]).toMatchObject({ action: 'rollback', learningRateScale: 0.5, toStep: 100 });
    expect(['spike', 'diverging']).toContain(guarded.actions[0]?.reason);
    expect(tail(guarded.losses)).toBeLessThan(2 * tail(clean.losses) + 1e-3);
  });

  it("the rate after a rollback is cut, and the weights are the snapshot's", TRAINS, async () => {
    const { x, y } = data(corruptBatch);
    const net = model(0.05);
    const optimizer = net.optimizer as StepsizeOptimizer;
    const rates: number[] = [];
    const weights: number[][] = [];
    const probe = new (class extends Callback {
      override async onBatchEnd(): Promise<void> {
        rates.push(optimizer.lastReport?.learningRate ?? Number.NaN);
        weights.push(Array.from(await (net.getWeights()[0] as tf.Tensor).data()));
      }
    })();
    let restored: number[] = [];
    const guard = fitGuard({
      guard: lossGuard({ plateauFactor: 0, snapshotEvery: 25 }),
      onAction: () => {
        restored = Array.from((net.getWeights()[0] as tf.Tensor).dataSync());
      },
    });
    await net.fit(x, y, { batchSize: 10, epochs: 1, shuffle: false, callbacks: [probe, guard] });
    const [action] = guard.actions;
    expect(action?.toStep).toBe(100);
    expect(rates[99]).toBe(0.05);
    expect(rates.at(-1)).toBeCloseTo(0.025, 12);
    expect(optimizer.optimizer.toJSON().learningRate).toBeCloseTo(0.025, 12);
    // The step count went back with the state: 200 batches, 200 - (action.step - 100) counted updates.
    expect((await optimizer.readState())?.step).toBe(200 - ((action?.step as number) - 100));
    // Put back: the weights after update 99, the snapshot at step 100, bit for bit.
    expect(restored).toEqual(weights[99]);
    expect(weights[(action?.step as number) - 1]).not.toEqual(weights[99]);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('after maxRollbacks it restores the last good snapshot and stops fit; skipped batches count as divergence', TRAINS, async () => {
    const { x, y } = data(
      Array.from({ length: 1200 }, (_, i) => 600 + i),
      Number.NaN,
    );
    const net = model(0.05, 'skip');
    const guard = fitGuard({ guard: lossGuard({ plateauFactor: 0, maxRollbacks: 1 }) });
    const losses = new Losses();
    await net.fit(x, y, { batchSize: 10, epochs: 1, shuffle: false, callbacks: [guard, losses] });
    expect(guard.actions.map((a) => [a.action, a.reason])).toEqual([
      ['rollback', 'diverging'],
      ['stop', 'diverging'],
    ]);
    expect(losses.values.length).toBeLessThan(200);
    const kernel = await (net.getWeights()[0] as tf.Tensor).data();
    expect(Array.from(kernel).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('puts its actions in the History, and a run resumed from state() acts as the uninterrupted one', TRAINS, async () => {
    const { x, y } = data(corruptBatch);
    const whole = model(0.05);
    const guard = fitGuard({ guard: lossGuard({ plateauFactor: 0, snapshotEvery: 20 }) });
    const history = await whole.fit(x, y, { batchSize: 10, epochs: 1, shuffle: false, callbacks: [guard], verbose: 0 });
    expect(history.history.guardActions).toEqual([1]);
    expect(history.history.learningRateScale).toEqual([0.5]);
    // The same 200 batches in two fits (rows 0..999, then 1000..1999), the guard carried over as JSON.
    const split = model(0.05);
    const first = fitGuard({ guard: lossGuard({ plateauFactor: 0, snapshotEvery: 20 }) });
    const half = (rows: number) => [tf.slice(x, [rows, 0], [1000, 2]), tf.slice(y, [rows, 0], [1000, 1])] as const;
    const [x1, y1] = half(0);
    await split.fit(x1, y1, { batchSize: 10, epochs: 1, shuffle: false, callbacks: [first], verbose: 0 });
    expect(first.actions).toEqual([]);
    const second = fitGuard({ guard: lossGuard({ plateauFactor: 0, snapshotEvery: 20 }), resumeFrom: JSON.stringify(first.state()) });
    const [x2, y2] = half(1000);
    await split.fit(x2, y2, { batchSize: 10, epochs: 1, shuffle: false, callbacks: [second], verbose: 0 });
    expect(second.actions).toEqual(guard.actions);
    const weights = async (net: LayersModel) => Promise.all(net.getWeights().map((w) => w.data()));
    expect(await weights(split)).toEqual(await weights(whole));
    expect(() => fitGuard({ resumeFrom: { format: 'other' } })).toThrow(
      /fitGuard options\.resumeFrom must be what a fitGuard's state\(\) returned/,
    );
    tf.dispose([x, y, x1, y1, x2, y2]);
    whole.dispose();
    split.dispose();
  });

  it('refuses a model without a StepsizeOptimizer and bad options, naming them', TRAINS, async () => {
    const { x, y } = data();
    const net = sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] });
    net.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await expect(net.fit(x, y, { batchSize: 100, epochs: 1, callbacks: [fitGuard()] })).rejects.toThrow(
      /fitGuard needs a model compiled with a StepsizeOptimizer .*got SGD/,
    );
    expect(() => fitGuard({ guard: {} as never })).toThrow(/fitGuard options\.guard must be a guard/);
    expect(() => fitGuard({ onAction: 3 as never })).toThrow(/fitGuard options\.onAction must be a function/);
    tf.dispose([x, y]);
    net.dispose();
  });
});
