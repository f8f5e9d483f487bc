import { checkTrainingBackend, crossBackendCheck } from '@stepsize/conformance';
import {
  adamW,
  type Checkpoint,
  cosineAnnealing,
  type Dataset,
  type MlpLoss,
  type MlpSpec,
  sgd,
  StepsizeError,
  train,
  warmup,
  type MlpTrainingSetup,
} from '@stepsize/core';
import { iris } from '@stepsize/datasets';
import { engineTrainingBackend } from '@stepsize/engine';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { initializers, type LayersModel, layers, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsTrainingBackend } from './training-backend.js';

const warmupCosine = { type: 'warmup', steps: 6, schedule: { type: 'cosineAnnealing', initialValue: 0.02, steps: 54 } } as const;

/** Iris (all 150 flowers) set up for one of the MLP losses. */
function irisSetup(loss: MlpLoss): MlpTrainingSetup {
  const { train: data } = iris({ validation: 0 });
  const examples = data.examples;
  const label = (i: number): number => data.targets[i] as number;
  if (loss === 'mse') {
    // Petal width from the other three measurements.
    const inputs = Float32Array.from({ length: examples * 3 }, (_, k) => data.inputs[Math.floor(k / 3) * 4 + (k % 3)] as number);
    const targets = Float32Array.from({ length: examples }, (_, i) => data.inputs[i * 4 + 3] as number);
    return setupOf({ inputSize: 3, layers: [12, 1], activation: 'tanh', loss, seed: 8 }, { inputs, targets, examples });
  }
  if (loss === 'binaryCrossEntropy') {
    const targets = Float32Array.from({ length: examples }, (_, i) => (label(i) === 0 ? 1 : 0));
    return setupOf({ inputSize: 4, layers: [12, 1], activation: 'relu', loss, seed: 8 }, { inputs: data.inputs, targets, examples });
  }
  return setupOf({ inputSize: 4, layers: [12, 3], activation: 'tanh', loss, seed: 8 }, data);
}

function setupOf(mlp: MlpSpec, data: Dataset): MlpTrainingSetup {
  return { mlp, data, batchSize: 25, steps: 60, seed: 3, optimizer: { type: 'adamW', learningRate: warmupCosine, weightDecay: 0.01 } };
}

/** Class indices as one-hot rows (categorical cross-entropy targets). */
function oneHot(data: Dataset, classes: number): Dataset {
  const targets = new Float32Array(data.examples * classes);
  for (let i = 0; i < data.examples; i += 1) targets[i * classes + (data.targets[i] as number)] = 1;
  return { inputs: data.inputs, targets, examples: data.examples };
}

/** A Keras-style classifier: 4 → 12 tanh → 3 softmax, compiled with categorical cross-entropy. */
function compiledClassifier(seed: number, compile = true): LayersModel {
  const model = sequential({
    layers: [
      layers.dense({ units: 12, activation: 'tanh', inputShape: [4], kernelInitializer: initializers.glorotUniform({ seed }) }),
      layers.dense({ units: 3, activation: 'softmax', kernelInitializer: initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  if (compile) model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  return model;
}

const NAMES = ['dense0.weight', 'dense0.bias', 'dense1.weight', 'dense1.bias'];
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

for (const tfBackend of ['cpu', 'wasm'] as const) {
  describe(`tfjs training backend on ${tfBackend}`, () => {
    beforeAll(async () => {
      await tf.setBackend(tfBackend);
      await tf.ready();
    });

    it('passes the training checks of the conformance package', async () => {
      const results = await checkTrainingBackend({ create: (mlp) => tfjsTrainingBackend({ mlp }) });
      expect(results).toHaveLength(4);
      for (const result of results) expect(result.passed, `${result.name}: ${result.detail}`).toBe(true);
    });

    for (const loss of ['softmaxCrossEntropy', 'mse', 'binaryCrossEntropy'] as const) {
      it(`gives the engine's loss trajectory on iris (${loss}, AdamW, warmup then cosine)`, async () => {
        const result = await crossBackendCheck({
          setup: irisSetup(loss),
          backends: [(mlp) => engineTrainingBackend({ mlp }), (mlp) => tfjsTrainingBackend({ mlp })],
          tolerance: 1e-4,
        });
        console.log(
          `${result.backends.join(' vs ')} ${loss}: largest relative loss difference ${result.maxRelativeError.toExponential(2)} over ${result.losses[0].length} updates`,
        );
        expect(result.backends).toEqual(['engine', `tfjs (${tfBackend})`]);
        expect(result.losses[1]).toHaveLength(60);
        expect(result.passed).toBe(true);
        expect(mean(result.losses[1].slice(-6))).toBeLessThan(mean(result.losses[1].slice(0, 6)) / 2);
      });
    }

    it('trains a compiled tf.LayersModel with its loss through train(); its checkpoint resumes on the engine and on tfjs', async () => {
      const { train: classes, validation: heldOut } = iris();
      const data = oneHot(classes, 3);
      const validation = oneHot(heldOut, 3);
      const model = compiledClassifier(1);
      const backend = await tfjsTrainingBackend({ model, names: NAMES });
      expect(backend.parameterShapes).toEqual({
        'dense0.weight': [4, 12],
        'dense0.bias': [12],
        'dense1.weight': [12, 3],
        'dense1.bias': [3],
      });
      expect(backend.exampleWidths).toEqual({ input: 4, target: 3 });
      expect(backend.accuracy).toEqual({ rule: 'argmax' });
      const optimizer = (): ReturnType<typeof adamW> =>
        adamW({ learningRate: warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 0.05, steps: 110 }) }) });
      const common = { data, validation, batchSize: 12, steps: 120, seed: 2 };
      let saved: Checkpoint | undefined;
      const full = await train({
        ...common,
        backend,
        optimizer: optimizer(),
        checkpoint: {
          every: 60,
          save: (checkpoint) => {
            saved ??= checkpoint;
          },
        },
      });
      const losses = full.history.map((record) => record.loss);
      expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) / 3);
      expect(full.evaluations.at(-1)?.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(saved?.step).toBe(60);

      // The same parameters, softmax folded into the loss: the engine's MLP with class-index targets.
      const engine = await engineTrainingBackend({
        mlp: { inputSize: 4, layers: [12, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 7 },
      });
      const onEngine = await train({ ...common, data: classes, validation: heldOut, backend: engine, resumeFrom: saved });
      let worst = 0;
      onEngine.history.forEach((record, i) => {
        worst = Math.max(worst, Math.abs(record.loss - (losses[60 + i] as number)) / (losses[60 + i] as number));
      });
      console.log(`compiled model on ${tfBackend}, resumed on the engine: largest relative loss difference ${worst.toExponential(2)}`);
      expect(onEngine.history).toHaveLength(60);
      expect(worst).toBeLessThan(1e-4);

      // And on a fresh tfjs model (other initial weights): bit for bit.
      const again = await tfjsTrainingBackend({ model: compiledClassifier(5), names: NAMES });
      const onTfjs = await train({ ...common, backend: again, resumeFrom: JSON.stringify(saved) });
      expect(onTfjs.history.map((record) => record.loss)).toEqual(losses.slice(60));
      expect(await again.readParameters()).toEqual(await backend.readParameters());
      for (const each of [backend, again]) each.dispose();
      for (const each of [model, again.model]) each.dispose();
    });

    it('names parameters after the variables by default, and infers widths and accuracy from the model', async () => {
      const model = compiledClassifier(3);
      const backend = await tfjsTrainingBackend({ model });
      expect(Object.keys(backend.parameterShapes)).toEqual(model.trainableWeights.map((weight) => weight.name));
      const binary = sequential({ layers: [layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2, 3] })] });
      binary.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const sparse = sequential({ layers: [layers.dense({ units: 4, inputShape: [5] })] });
      sparse.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const regression = sequential({ layers: [layers.dense({ units: 2, inputShape: [5] })] });
      regression.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const logits = sequential({ layers: [layers.dense({ units: 3, inputShape: [5] })] });
      logits.compile({ optimizer: 'adam', loss: tf.losses.softmaxCrossEntropy });
      const expected = [
        [binary, { input: 6, target: 2 }, { rule: 'binary', threshold: 0.5 }],
        [sparse, { input: 5, target: 1 }, { rule: 'argmax' }],
        [regression, { input: 5, target: 2 }, undefined],
        [logits, { input: 5, target: 3 }, { rule: 'argmax' }],
      ] as const;
      for (const [each, widths, accuracy] of expected) {
        const other = await tfjsTrainingBackend({ model: each });
        expect(other.exampleWidths).toEqual(widths);
        expect(other.accuracy).toEqual(accuracy);
      }
      expect((await tfjsTrainingBackend({ model: regression, accuracy: { rule: 'binary', threshold: 0.2 } })).accuracy).toEqual({
        rule: 'binary',
        threshold: 0.2,
      });
      expect((await tfjsTrainingBackend({ model: sparse, accuracy: 'none' })).accuracy).toBeUndefined();
      // Sparse targets: class indices. The binary model's inputs are reshaped to its [2, 3].
      const small = await tfjsTrainingBackend({ model: sparse });
      await small.setOptimizer(sgd({ learningRate: 0.1 }));
      const batch = { inputs: Float32Array.from({ length: 10 }, (_, i) => i / 10), targets: Float32Array.of(3, 0), examples: 2 };
      const { loss, gradients } = await small.lossAndGradients(batch);
      expect(loss).toBeGreaterThan(0);
      expect((await small.applyGradients(gradients)).outcome).toBe('updated');
      await expect(small.lossAndGradients({ ...batch, targets: Float32Array.of(4, 0) })).rejects.toThrow(
        /^batch\.targets\[0\] must be a class index in \[0, 3\], got 4$/,
      );
      const fromBinary = await tfjsTrainingBackend({ model: binary });
      const evaluation = await fromBinary.evaluate({ inputs: new Float32Array(12), targets: Float32Array.of(1, 0, 0, 1), examples: 2 });
      expect(evaluation.outputs).toEqual(Float32Array.of(0.5, 0.5, 0.5, 0.5));
      expect(evaluation.loss).toBeCloseTo(Math.LN2, 5);
      for (const each of [model, binary, sparse, regression, logits]) each.dispose();
    });

    it('refuses bad options with a StepsizeError naming the option and the value', async () => {
      const mlp: MlpSpec = { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' };
      const model = compiledClassifier(1);
      const uncompiled = compiledClassifier(1, false);
      const cases: [Parameters<typeof tfjsTrainingBackend>[0], RegExp][] = [
        [{ mlp, model }, /^tfjsTrainingBackend options must give exactly one of mlp \(an MlpSpec\) and model .*, got both$/],
        [{}, /^tfjsTrainingBackend options must give exactly one of mlp .*, got neither$/],
        [
          { model, names: ['dense0.weight'] },
          /^tfjsTrainingBackend options\.names must be an array of 4 names, one per trainable weight of the model, got 1 names$/,
        ],
        [
          { model, names: ['a', 'a', 'b', 'c'] },
          /^tfjsTrainingBackend options\.names\[1\] must be a non-empty string not given before, got "a"$/,
        ],
        [
          { model: uncompiled },
          /^tfjsTrainingBackend options\.model must be compiled: call model\.compile\(\{ optimizer, loss \}\) first .*"sequential_\d+"$/,
        ],
        [{ model: {} as LayersModel }, /^tfjsTrainingBackend options\.model must be a tf\.LayersModel/],
        [{ mlp, names: NAMES }, /^tfjsTrainingBackend options\.names applies to a model only/],
        [
          { model, accuracy: { rule: 'top5' as never } },
          /^tfjsTrainingBackend options\.accuracy must be 'none' or .*, got \{"rule":"top5"\}$/,
        ],
        [{ mlp: { ...mlp, layers: [3, 0] } }, /^tfjsTrainingBackend options\.mlp\.layers\[1\] must be an integer >= 1, got 0$/],
      ];
      for (const [options, message] of cases) {
        const error = await tfjsTrainingBackend(options).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error, JSON.stringify(Object.keys(options))).toBeInstanceOf(StepsizeError);
        expect((error as StepsizeError).message).toMatch(message);
      }
      const names = await tfjsTrainingBackend({ model, names: ['a'] }).catch((caught: StepsizeError) => caught);
      expect(names).toMatchObject({ path: 'tfjsTrainingBackend options.names', value: ['a'] });
      const backend = await tfjsTrainingBackend({ mlp });
      expect(() => backend.applyGradients({})).toThrow(/tfjs backend applyGradients needs an optimizer: call setOptimizer first/);
      await backend.setOptimizer(sgd({ learningRate: 0.1 }));
      await expect(backend.lossAndGradients({ inputs: new Float32Array(8), targets: Float32Array.of(1, 3), examples: 2 })).rejects.toThrow(
        /^batch\.targets\[1\] must be a class index in \[0, 2\], got 3$/,
      );
      expect(() => backend.writeParameters({ 'dense0.weight': new Float32Array(12) })).toThrow(
        /^parameters\.dense0\.bias is missing: every parameter needs its 3 values$/,
      );
      backend.dispose();
      model.dispose();
      uncompiled.dispose();
    });

    it('keeps the tensor count constant over training, checkpoints, restores and refused states; dispose frees the rest', async () => {
      const { train: classes, validation } = iris();
      const start = tf.memory().numTensors;
      const sources = [
        {
          name: 'mlp',
          create: () =>
            tfjsTrainingBackend({ mlp: { inputSize: 4, layers: [8, 3], activation: 'relu', loss: 'softmaxCrossEntropy', seed: 2 } }),
        },
        { name: 'model', create: () => tfjsTrainingBackend({ model: compiledClassifier(4), names: NAMES }) },
      ];
      for (const source of sources) {
        const backend = await source.create();
        const oneHotted = source.name === 'model';
        const data = oneHotted ? oneHot(classes, 3) : classes;
        const held = oneHotted ? oneHot(validation, 3) : validation;
        const counts: number[] = [];
        const optimizer = adamW({
          learningRate: warmup({ steps: 20, schedule: cosineAnnealing({ initialValue: 0.02, steps: 380 }) }),
          emaDecay: 0.9,
          clipGradientNorm: 1,
          accumulationSteps: 2,
        });
        const result = await train({
          backend,
          optimizer,
          data,
          validation: held,
          batchSize: 10,
          steps: 200,
          evaluateEvery: 10,
          earlyStopping: { monitor: 'validationLoss', patience: 1000, restoreBest: true },
          checkpoint: { every: 25, save: () => undefined },
          onStep: (record) => {
            if (record.step === 19 || record.step === 199) counts.push(tf.memory().numTensors);
          },
        });
        expect(result.step).toBe(200);
        expect(counts[1], source.name).toBe(counts[0]);
        const after = tf.memory().numTensors;
        expect(after).toBe(counts[0]);
        for (let i = 0; i < 5; i += 1) {
          await backend.writeOptimizerState(await backend.readOptimizerState());
          await backend.writeParameters(await backend.readParameters());
        }
        expect(tf.memory().numTensors).toBe(after);
        // A state that does not fit is refused: nothing changes, nothing leaks.
        const state = await backend.readOptimizerState();
        const parameters = await backend.readParameters();
        const misfit = { ...state, params: { ...state.params, 'dense0.bias': { ...state.params['dense0.bias'], expAvg: [1, 2] } } };
        await expect(async () => backend.writeOptimizerState(misfit)).rejects.toThrow(
          /state\.params\.dense0\.bias\.expAvg must have \d+ elements/,
        );
        expect(await backend.readOptimizerState()).toEqual(state);
        expect(await backend.readParameters()).toEqual(parameters);
        // A non-finite gradient under nonFinite: 'throw' is refused; its gradients are freed too.
        await backend.setOptimizer(sgd({ learningRate: 0.1, momentum: 0.9 }));
        const fresh = tf.memory().numTensors;
        const poisoned = { ...data, inputs: data.inputs.map((value, i) => (i === 5 ? Number.NaN : value)) };
        const backward = await backend.lossAndGradients(poisoned);
        expect(backward.gradientNorm).toBeNaN();
        expect(() => backend.applyGradients(backward.gradients)).toThrow(/^gradients\.dense0\.weight\[\d+\] is not finite/);
        expect(tf.memory().numTensors).toBe(fresh);
        const model = backend.model;
        backend.dispose();
        if (source.name === 'model') model.dispose();
        expect(tf.memory().numTensors, source.name).toBe(start);
      }
    });
  });
}
