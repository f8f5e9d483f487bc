import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildTrainingModel } from './build-training-model.js';
import { directory, errorsAgainst, type Fixture, MODELS, type Truth, truthValues } from './test-support/torch-fixtures.js';

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;
if (!torchAvailable)
  console.log('torch-models: skipping the regeneration check: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');

describe('the inference-model fixtures', () => {
  it.runIf(torchAvailable)(
    'are exactly what tooling/goldens/torch_onnx_inference_models.py exports',
    () => {
      const result = spawnSync('/usr/bin/python3', ['tooling/goldens/torch_onnx_inference_models.py', '--check'], {
        cwd: repository,
        encoding: 'utf8',
      });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    },
    120_000,
  );
});

describe('buildTrainingModel on models exported by torch.onnx.export (gradients against torch autograd)', () => {
  for (const name of MODELS) {
    it(`${name}: loss, output and every gradient match torch 1.13 autograd (float32 and float64)`, async () => {
      const fixture = JSON.parse(readFileSync(`${directory}${name}.json`, 'utf8')) as Fixture;
      const { model, params } = buildTrainingModel(readFileSync(`${directory}${fixture.model}`), {
        loss: fixture.loss,
        trainable: fixture.trainable,
      });
      expect(Object.keys(params).sort()).toEqual([...fixture.trainable].sort());
      const session = await ort.InferenceSession.create(model);
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', Float32Array.from(fixture.batch.input.values), fixture.batch.input.shape),
        target: new ort.Tensor('float32', Float32Array.from(fixture.batch.target.values), fixture.batch.target.shape),
      };
      for (const [key, p] of Object.entries(params)) feeds[key] = new ort.Tensor('float32', p.values, [...p.shape]);
      const results = await session.run(feeds);
      const outputs = (key: string): ArrayLike<number> => (results[key]?.data as Float32Array) ?? [];
      const against = (truth: Truth, actual: (key: string) => ArrayLike<number>): Record<string, number> =>
        errorsAgainst(truth, actual, fixture.expectedFloat64);
      const ours = against(fixture.expectedFloat64, outputs);
      const oursTorch = against(fixture.expected, outputs);
      const torch32 = against(fixture.expectedFloat64, (key) => truthValues(fixture.expected, key));
      const worst = (e: Record<string, number>): string => Math.max(...Object.values(e)).toExponential(2);
      console.log(
        `${name}: worst error vs float64 autograd ${worst(ours)} (torch float32: ${worst(torch32)}), vs torch float32 autograd ${worst(oursTorch)}`,
      );
      // 1e-5 of exact arithmetic, unless float32 itself cannot get there: torch's own float32 autograd
      // is 1.13e-5 off the float64 one on the transformer (LayerNorm and attention amplify rounding).
      const floor = Math.max(...Object.values(torch32));
      for (const [key, error] of Object.entries(ours)) expect(error, key).toBeLessThan(Math.max(1e-5, 1.5 * floor));
      for (const [key, error] of Object.entries(oursTorch)) expect(error, key).toBeLessThan(Math.max(1e-5, 2 * floor));
      await session.release();
    });
  }
});
