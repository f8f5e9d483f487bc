// The inference models exported by torch.onnx.export (fixtures/inference-models, written by
// tooling/goldens/torch_onnx_inference_models.py), made trainable by buildTrainingModel and
// trained by core's train() on both update paths: the loss goes down, the two paths agree,
// a run resumed from a checkpoint is the uninterrupted run bit for bit, and frozen
// initializers keep their values.
import { adamW, type Checkpoint, type Dataset, train } from '@stepsize/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildTrainingModel, type TrainingModel } from './autodiff/build-training-model.js';
import { directory, type Fixture } from './autodiff/test-support/torch-fixtures.js';
import { onnxruntimeTrainingBackend } from './training-backend.js';
import type { UpdatePath } from './update/parameter-updater.js';

const NAMES = ['mlp', 'cnn', 'transformer', 'batchnorm'] as const;
const UPDATES: readonly UpdatePath[] = ['onnx', 'engine'];
const REPEATS = 8;
const BATCH_SIZE = 6;
const STEPS = 12;
const CHECKPOINT_AT = 5;

/** A sidecar: the torch-autograd fixture and the values of every float32 initializer of the model. */
type Sidecar = Fixture & { readonly initializers: Readonly<Record<string, { readonly values: readonly number[] }>> };

const fixtureOf = (name: string): Sidecar => JSON.parse(readFileSync(`${directory}${name}.json`, 'utf8')) as Sidecar;
const modelBytes = (fixture: Fixture): Uint8Array => readFileSync(`${directory}${fixture.model}`);

/** A deterministic value in [-1, 1] for an index and a repeat. */
const noise = (index: number, repeat: number): number => Math.sin(index * 12.9898 + repeat * 78.233);

/**
 * The fixture's batch, repeated: every copy but the first perturbed deterministically (float
 * inputs shifted by a little noise; the transformer's token ids, float32 as the training
 * convention takes them, rotated within the vocabulary and its float targets nudged). Class
 * indices and 0/1 targets stay as they are.
 */
function datasetOf(name: string, fixture: Fixture): Dataset {
  const { input, target } = fixture.batch;
  const tokens = name === 'transformer';
  const vocabulary = 12;
  const continuousTarget = fixture.loss === 'mse';
  const inputs = new Float32Array(input.values.length * REPEATS);
  const targets = new Float32Array(target.values.length * REPEATS);
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    input.values.forEach((value, i) => {
      inputs[repeat * input.values.length + i] = tokens ? (value + repeat) % vocabulary : value + (repeat && 0.05 * noise(i, repeat));
    });
    target.values.forEach((value, i) => {
      targets[repeat * target.values.length + i] = continuousTarget ? value + (repeat && 0.1 * noise(i, repeat + 100)) : value;
    });
  }
  return { inputs, targets, examples: (input.shape[0] as number) * REPEATS };
}

const options = (data: Dataset) => ({ data, batchSize: BATCH_SIZE, steps: STEPS, seed: 3 });
const optimizer = () => adamW({ learningRate: 0.01, weightDecay: 0.01 });

/** The worst error relative to the larger of the value and a hundredth of its tensor's scale. */
function worstRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  const values = Array.from(expected);
  const scale = Math.max(...values.map(Math.abs));
  return Math.max(0, ...values.map((v, i) => Math.abs((actual[i] as number) - v) / Math.max(Math.abs(v), scale / 100, 1e-30)));
}

/**
 * The parameters whose gradient is zero in exact arithmetic (torch's float64 autograd: below a
 * millionth of the model's largest gradient). Their float32 gradient is rounding noise, which
 * adam scales up to steps of about the learning rate: once the paths' parameters differ by a
 * rounding (after the first update), so do that noise and those steps.
 */
function noiseGradients(fixture: Fixture): string[] {
  const gradients = Object.entries(fixture.expectedFloat64.gradients);
  const scale = Math.max(...gradients.flatMap(([, g]) => g.map(Math.abs)));
  return gradients.filter(([, g]) => Math.max(...g.map(Math.abs)) < scale * 1e-6).map(([name]) => name);
}

interface Run {
  readonly initial: Readonly<Record<string, Float32Array>>;
  readonly lossBefore: number;
  readonly lossAfter: number;
  readonly losses: readonly number[];
  readonly trained: Readonly<Record<string, Float32Array>>;
  readonly saved: string;
}

/** Trains a model for STEPS updates, saving the checkpoint at CHECKPOINT_AT; the data set's loss before and after. */
async function trainRun(training: TrainingModel, data: Dataset, update: UpdatePath): Promise<Run> {
  const backend = await onnxruntimeTrainingBackend({ model: training.model, params: training.params, update });
  const initial = await backend.readParameters();
  const lossBefore = (await backend.evaluate(data)).loss;
  let saved = '';
  const result = await train({
    ...options(data),
    backend,
    optimizer: optimizer(),
    checkpoint: {
      every: CHECKPOINT_AT,
      save: (checkpoint: Checkpoint) => {
        saved ||= JSON.stringify(checkpoint);
      },
    },
  });
  const run = {
    initial,
    lossBefore,
    lossAfter: (await backend.evaluate(data)).loss,
    losses: result.history.map((record) => record.loss),
    trained: await backend.readParameters(),
    saved,
  };
  await backend.dispose();
  return run;
}

const runs = new Map<string, Promise<Run>>();
/** One run per model and update path, shared by the tests below (made by the first that needs it). */
function runOf(name: string, update: UpdatePath): Promise<Run> {
  const key = `${name} ${update}`;
  let run = runs.get(key);
  if (!run) {
    const fixture = fixtureOf(name);
    run = trainRun(buildTrainingModel(modelBytes(fixture), { loss: fixture.loss }), datasetOf(name, fixture), update);
    runs.set(key, run);
  }
  return run;
}

describe('inference models exported by torch.onnx.export, trained through buildTrainingModel and train()', () => {
  for (const name of NAMES) {
    describe(name, () => {
      it('trains every parameter of the module by default (the initializers holding torch parameters)', () => {
        const fixture = fixtureOf(name);
        const { params } = buildTrainingModel(modelBytes(fixture), { loss: fixture.loss });
        expect(Object.keys(params).sort()).toEqual([...fixture.trainable].sort());
      });

      for (const update of UPDATES) {
        it(`${update} update: the loss on the data set goes down, and a run resumed from a checkpoint is the uninterrupted one bit for bit`, async () => {
          const fixture = fixtureOf(name);
          const data = datasetOf(name, fixture);
          const run = await runOf(name, update);
          console.log(
            `${name} (${update} update): data set loss ${run.lossBefore.toFixed(5)} -> ${run.lossAfter.toFixed(5)} in ${STEPS} adamW updates`,
          );
          expect(run.losses).toHaveLength(STEPS);
          expect(run.lossAfter).toBeLessThan(run.lossBefore);
          for (const [parameter, values] of Object.entries(run.trained))
            expect(values, `${parameter} moved`).not.toEqual(run.initial[parameter]);

          // A fresh backend, from the same model, resumed at the checkpoint of step CHECKPOINT_AT.
          const checkpoint = JSON.parse(run.saved) as Checkpoint;
          expect(checkpoint.step).toBe(CHECKPOINT_AT);
          const training = buildTrainingModel(modelBytes(fixture), { loss: fixture.loss });
          const backend = await onnxruntimeTrainingBackend({ model: training.model, params: training.params, update });
          const resumed = await train({ ...options(data), backend, resumeFrom: run.saved });
          expect(resumed.history.map((record) => record.loss)).toEqual(run.losses.slice(CHECKPOINT_AT));
          expect(await backend.readParameters()).toEqual(run.trained);
          await backend.dispose();
        });
      }

      it('the two update paths give the same parameters (within 1e-5, relative to each tensor)', async () => {
        const [graphRun, engineRun] = await Promise.all(UPDATES.map((update) => runOf(name, update)));
        const zeroGradient = noiseGradients(fixtureOf(name));
        const errors = Object.entries(graphRun?.trained ?? {}).map(
          ([parameter, values]) => [parameter, worstRelativeError(engineRun?.trained[parameter] ?? [], values)] as const,
        );
        const compared = errors.filter(([parameter]) => !zeroGradient.includes(parameter));
        const skipped = zeroGradient.length ? ` (not compared, gradient zero in exact arithmetic: ${zeroGradient.join(', ')})` : '';
        console.log(
          `${name}: update graph vs engine kernels after ${STEPS} updates, worst parameter error ${Math.max(...compared.map(([, e]) => e)).toExponential(2)}${skipped}`,
        );
        expect(errors.length).toBe(fixtureOf(name).trainable.length);
        // Only the transformer's attention key bias: softmax ignores a shift of its scores.
        expect(zeroGradient).toEqual(name === 'transformer' ? ['k.bias'] : []);
        for (const [parameter, error] of compared) expect(error, parameter).toBeLessThan(1e-5);
      });
    });
  }

  it('the CNN the package ships (models/cnn.onnx, the README example) is the fixture, byte for byte', () => {
    const shipped = readFileSync(new URL('../models/cnn.onnx', import.meta.url));
    expect(Buffer.compare(shipped, modelBytes(fixtureOf('cnn'))), 'copy fixtures/inference-models/cnn.onnx to models/').toBe(0);
  });

  describe('freezing (the CNN, its last layer trained)', () => {
    const fixture = fixtureOf('cnn');
    const data = datasetOf('cnn', fixture);
    const last = ['7.weight', '7.bias'];

    for (const update of UPDATES) {
      it(`${update} update: only the trainable initializers move; the frozen ones keep their values exactly`, async () => {
        const byTrainable = buildTrainingModel(modelBytes(fixture), { loss: 'softmaxCrossEntropy', trainable: last });
        const byFrozen = buildTrainingModel(modelBytes(fixture), {
          loss: 'softmaxCrossEntropy',
          frozen: fixture.trainable.filter((n) => !last.includes(n)),
        });
        expect(Object.keys(byTrainable.params).sort()).toEqual([...last].sort());
        expect(Object.keys(byFrozen.params).sort()).toEqual([...last].sort());

        const backend = await onnxruntimeTrainingBackend({ model: byTrainable.model, params: byTrainable.params, update });
        const before = await backend.readParameters();
        const result = await train({ ...options(data), backend, optimizer: optimizer() });
        const trained = await backend.readParameters();
        expect(Object.keys(backend.parameterShapes).sort()).toEqual([...last].sort());
        for (const name of last) expect(trained[name], `${name} moved`).not.toEqual(before[name]);

        // `frozen` (its complement) trains the same parameters the same way, bit for bit.
        const other = await onnxruntimeTrainingBackend({ model: byFrozen.model, params: byFrozen.params, update });
        const again = await train({ ...options(data), backend: other, optimizer: optimizer() });
        expect(again.history.map((r) => r.loss)).toEqual(result.history.map((r) => r.loss));
        expect(await other.readParameters()).toEqual(trained);

        // The frozen initializers are the inference model's, unchanged: the whole model made trainable,
        // given its original values for them and the trained last layer, predicts what the trained one does.
        const everything = buildTrainingModel(modelBytes(fixture), { loss: 'softmaxCrossEntropy' });
        const full = await onnxruntimeTrainingBackend({ model: everything.model, params: everything.params, update });
        const original = await full.readParameters();
        for (const name of Object.keys(original))
          expect(original[name], name).toEqual(Float32Array.from(fixture.initializers[name]?.values ?? []));
        await full.writeParameters({ ...original, ...trained });
        const [mine, theirs] = await Promise.all([backend.evaluate(data), full.evaluate(data)]);
        expect(mine.loss).toBe(theirs.loss);
        expect(mine.outputs).toEqual(theirs.outputs);
        await Promise.all([backend, other, full].map((b) => b.dispose()));
      });
    }
  });
});
