import { adamW, cosineAnnealing, warmup } from '@stepsize/core';
import { checkpointWriter, readJsonFile } from '@stepsize/core/node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mlp } from './model/mlp.js';
import { train, type Checkpoint } from './train.js';

const data = {
  inputs: Float32Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i)),
  targets: Float32Array.from({ length: 40 }, (_, i) => i % 2),
  examples: 40,
};
const options = () => ({
  loss: 'softmaxCrossEntropy' as const,
  data,
  batchSize: 8,
  steps: 40,
  seed: 3,
  optimizer: adamW({ learningRate: warmup({ steps: 4, schedule: cosineAnnealing({ initialValue: 0.05, steps: 36 }) }) }),
});

describe('checkpoint files', () => {
  it('are written atomically each time, and a run resumed from the file equals the uninterrupted run', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stepsize-ckpt-')), 'run.json');
    const full = new Mlp({ inputSize: 3, layers: [5, 2], activation: 'tanh', seed: 2 });
    const at = 5 * (1 + Math.floor(Math.random() * 6));
    const uninterrupted = train({
      ...options(),
      model: full,
      checkpoint: { every: at, save: (c) => (c.step === at ? checkpointWriter(path)(c) : undefined) },
    });
    const resumedModel = new Mlp({ inputSize: 3, layers: [5, 2], activation: 'tanh', seed: 99 });
    const resumed = train({ ...options(), model: resumedModel, resumeFrom: readJsonFile(path, 'checkpoint') as Checkpoint });
    expect(resumed.history.map((r) => r.loss)).toEqual(uninterrupted.history.slice(at).map((r) => r.loss));
    for (const [name, param] of Object.entries(full.params)) expect(resumedModel.params[name]).toEqual(param);
  });

  it('a truncated or mismatched checkpoint gives a clear error and changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepsize-ckpt-'));
    const path = join(dir, 'run.json');
    const model = new Mlp({ inputSize: 3, layers: [5, 2], activation: 'tanh', seed: 2 });
    train({ ...options(), steps: 10, model, checkpoint: { every: 10, save: checkpointWriter(path) } });
    const text = readFileSync(path, 'utf8');
    writeFileSync(join(dir, 'truncated.json'), text.slice(0, text.length / 2));
    expect(() => readJsonFile(join(dir, 'truncated.json'), 'checkpoint')).toThrow(
      /checkpoint .*truncated\.json is not valid JSON \(truncated or corrupt\?/,
    );
    const other = new Mlp({ inputSize: 3, layers: [6, 2], activation: 'tanh', seed: 5 });
    const before = Object.fromEntries(Object.entries(other.params).map(([k, v]) => [k, Float32Array.from(v)]));
    expect(() => train({ ...options(), model: other, resumeFrom: readJsonFile(path, 'checkpoint') as Checkpoint })).toThrow(
      /checkpoint\.params\.dense0\.weight must hold 18 values for this model/,
    );
    for (const [name, values] of Object.entries(before)) expect(other.params[name]).toEqual(values);
  });
});
