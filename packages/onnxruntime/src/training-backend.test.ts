import { adamW, type MlpSpec, type MlpTrainingSetup, sgd, StepsizeError, train } from '@stepsize/core';
import { checkTrainingBackend, crossBackendCheck } from '@stepsize/conformance';
import { iris } from '@stepsize/datasets';
import { engineTrainingBackend, Mlp } from '@stepsize/engine';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './onnx/graph.js';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { onnxruntimeTrainingBackend } from './training-backend.js';

const warmupCosine = { type: 'warmup', steps: 6, schedule: { type: 'cosineAnnealing', initialValue: 0.02, steps: 54 } };
const runs = [
  ['softmaxCrossEntropy', { type: 'adamW', learningRate: warmupCosine }],
  ['mse', { type: 'sgd', learningRate: warmupCosine, momentum: 0.9 }],
  ['binaryCrossEntropy', { type: 'rmsprop', learningRate: 0.01, centered: true }],
] as const;

/** Iris with one target per loss: the class, a feature (petal width) or class 0 against the rest. */
function irisSetup(loss: MlpSpec['loss'], optimizer: Record<string, unknown>): MlpTrainingSetup {
  const { train: data } = iris({ validation: 0 });
  const examples = data.examples;
  const targets =
    loss === 'softmaxCrossEntropy'
      ? data.targets
      : Float32Array.from({ length: examples }, (_, e) =>
          loss === 'mse' ? (data.inputs[4 * e + 3] as number) : data.targets[e] === 0 ? 1 : 0,
        );
  const inputs = loss === 'mse' ? data.inputs.map((v, i) => (i % 4 === 3 ? 0 : v)) : data.inputs;
  return {
    mlp: { inputSize: 4, layers: loss === 'softmaxCrossEntropy' ? [12, 3] : [12, 1], activation: 'tanh', loss, seed: 8 },
    data: { inputs, targets, examples },
    batchSize: 25,
    steps: 60,
    seed: 3,
    optimizer,
  };
}

describe('ONNX Runtime training backend', () => {
  for (const update of ['onnx', 'engine'] as const) {
    it(`${update} update: passes the training checks of the conformance package`, async () => {
      const results = await checkTrainingBackend({ create: (mlp) => onnxruntimeTrainingBackend({ mlp, update }) });
      for (const result of results) expect(result.passed, `${result.name}: ${result.detail}`).toBe(true);
    });

    for (const [loss, optimizer] of runs) {
      it(`${update} update: ${loss} with ${optimizer.type} follows the engine step by step`, async () => {
        const setup = irisSetup(loss, optimizer);
        const result = await crossBackendCheck({
          setup,
          backends: [(mlp) => onnxruntimeTrainingBackend({ mlp, update }), (mlp) => engineTrainingBackend({ mlp })],
        });
        console.log(
          `cross-backend ${result.backends.join(' vs ')} ${loss}/${optimizer.type}: max relative loss difference ${result.maxRelativeError.toExponential(2)} over ${setup.steps} steps`,
        );
        expect(result.passed).toBe(true);
        expect(result.losses[0].at(-1)).toBeLessThan(result.losses[0][0] as number);
      });
    }
  }

  it('trains a model of yours (exported from PyTorch) through train(), on both update paths, which agree', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
    const sidecar = JSON.parse(readFileSync(join(fixtures, 'torch-mlp-training.json'), 'utf8')) as {
      params: Record<string, { shape: number[]; values: number[] }>;
      batch: { input: number[]; target: number[]; examples: number };
    };
    const params = () =>
      Object.fromEntries(
        Object.entries(sidecar.params).map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: p.shape }]),
      );
    const data = {
      inputs: Float32Array.from(sidecar.batch.input),
      targets: Float32Array.from(sidecar.batch.target),
      examples: sidecar.batch.examples,
    };
    const losses: number[][] = [];
    for (const update of ['onnx', 'engine'] as const) {
      const backend = await onnxruntimeTrainingBackend({ model: join(fixtures, 'torch-mlp-training.onnx'), params: params(), update });
      expect(Object.keys(backend.parameterShapes)).toEqual(Object.keys(sidecar.params));
      const result = await train({
        backend,
        data,
        validation: data,
        batchSize: data.examples,
        steps: 30,
        optimizer: adamW({ learningRate: 0.05 }),
      });
      losses.push(result.history.map((r) => r.loss));
      expect(result.evaluations.at(-1)?.loss).toBeLessThan((result.history[0]?.loss as number) / 2);
      await backend.dispose();
    }
    expect(losses[1]?.every((loss, i) => Math.abs(loss - (losses[0]?.[i] as number)) <= 1e-5 * Math.abs(loss))).toBe(true);
  });

  for (const update of ['onnx', 'engine'] as const) {
    it(`${update} update: buildMlpTrainingModel's { model, params } trains as { mlp } does, from the same seeded weights`, async () => {
      const spec = { inputSize: 2, layers: [8, 2], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 5 } as const;
      const data = {
        inputs: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.3)),
        targets: Float32Array.from({ length: 32 }, (_, i) => (Math.sin(i * 2.6) + Math.sin(i * 2.6 + 1.3) > 0 ? 1 : 0)),
        examples: 32,
      };
      const { model, params } = buildMlpTrainingModel(spec);
      const losses: number[][] = [];
      for (const create of [
        () => onnxruntimeTrainingBackend({ model, params, update }),
        () => onnxruntimeTrainingBackend({ mlp: spec, update }),
      ]) {
        const backend = await create();
        const result = await train({ backend, data, batchSize: 8, steps: 12, optimizer: adamW({ learningRate: 0.02 }) });
        losses.push(result.history.map((record) => record.loss));
        await backend.dispose();
      }
      expect(losses[0]).toHaveLength(12);
      expect(losses[0]).toEqual(losses[1]);
    });

    it(`${update} update: a gradient whose shape at run time is not its parameter's is named, with both shapes`, async () => {
      // w is declared [n] (bound to 3 by the parameter) and so is w_grad, which is computed as [features]: 4 here.
      const graph = new GraphBuilder('gradient_of_another_shape');
      const input = graph.input('input', 'float32', ['batch', 'features']);
      const target = graph.input('target', 'float32', ['batch']);
      const w = graph.input('w', 'float32', ['n']);
      const sum = (x: string): string => graph.op('ReduceSum', [x], { keepdims: { int: 0 } });
      graph.output(graph.op('Add', [sum(input), graph.op('Add', [sum(w), sum(target)])]), 'loss', 'float32', []);
      graph.output(graph.op('ReduceSum', [input, graph.ints([0])], { keepdims: { int: 0 } }), 'w_grad', 'float32', ['n']);
      const backend = await onnxruntimeTrainingBackend({
        model: graph.toModel(),
        params: { w: { values: new Float32Array(3), shape: [3] } },
        update,
      });
      await backend.setOptimizer(sgd({ learningRate: 0.1 }));
      const error = await Promise.resolve()
        .then(() => backend.lossAndGradients({ inputs: new Float32Array(8), targets: new Float32Array(2), examples: 2 }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepsizeError);
      expect((error as StepsizeError).message).toBe(
        'training model output "w_grad" must have the shape of parameter "w", [3], got [4] on this batch (the model declares [n])',
      );
      expect((error as StepsizeError).value).toEqual([4]);
      // With the right shape it runs.
      const fine = await backend.lossAndGradients({ inputs: new Float32Array(6), targets: new Float32Array(2), examples: 2 });
      expect(fine.gradients.w).toHaveLength(3);
      await backend.dispose();
    });

    it(`${update} update: parameter names are data ("constructor", "toString" train; "__proto__" is refused by name)`, async () => {
      // Linear regression y = x · constructor + toString, written as a training model.
      const model = (weight: string, bias: string): Uint8Array => {
        const graph = new GraphBuilder('linear');
        const input = graph.input('input', 'float32', ['batch', 2]);
        const target = graph.input('target', 'float32', ['batch', 1]);
        graph.input(weight, 'float32', [2, 1]);
        graph.input(bias, 'float32', [1]);
        const difference = graph.op('Sub', [graph.op('Add', [graph.op('MatMul', [input, weight]), bias]), target]);
        const batch = graph.op('Cast', [graph.op('Size', [target])], { to: { int: 1 } });
        graph.output(graph.op('ReduceMean', [graph.op('Mul', [difference, difference])], { keepdims: { int: 0 } }), 'loss', 'float32', []);
        const dOutput = graph.op('Div', [graph.op('Mul', [difference, graph.scalar(2)]), batch]);
        graph.output(graph.op('MatMul', [graph.op('Transpose', [input]), dOutput]), `${weight}_grad`, 'float32', [2, 1]);
        graph.output(graph.op('ReduceSum', [dOutput, graph.ints([0])], { keepdims: { int: 0 } }), `${bias}_grad`, 'float32', [1]);
        return graph.toModel();
      };
      const params = (weight: string, bias: string) => ({
        [weight]: { values: Float32Array.of(0.5, -0.5), shape: [2, 1] },
        [bias]: { values: Float32Array.of(0.1), shape: [1] },
      });
      const data = {
        inputs: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)),
        targets: Float32Array.from({ length: 16 }, (_, i) => 2 * Math.cos(2 * i) - Math.cos(2 * i + 1) + 0.5),
        examples: 16,
      };
      const run = async (weight: string, bias: string) => {
        const backend = await onnxruntimeTrainingBackend({ model: model(weight, bias), params: params(weight, bias), update });
        const result = await train({ backend, data, batchSize: 4, steps: 20, optimizer: adamW({ learningRate: 0.05 }) });
        const parameters = await backend.readParameters();
        await expect(Promise.resolve().then(() => backend.writeParameters({ [weight]: new Float32Array(2) }))).rejects.toThrow(
          new RegExp(`^parameters\\.${bias} is missing: every parameter needs its 1 values`),
        );
        await backend.dispose();
        return { losses: result.history.map((record) => record.loss), parameters: Object.values(parameters) };
      };
      const reference = await run('w', 'b');
      const named = await run('constructor', 'toString');
      expect(named).toEqual(reference);
      expect(reference.losses.at(-1)).toBeLessThan(reference.losses[0] as number);
      const error = await onnxruntimeTrainingBackend({ model: model('__proto__', 'b'), params: params('__proto__', 'b'), update }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StepsizeError);
      expect((error as StepsizeError).path).toBe('onnxruntimeTrainingBackend options.params.__proto__');
    });
  }

  it('refuses initial parameters that are not finite, naming the element and its value', async () => {
    const spec = { inputSize: 2, layers: [3], activation: 'tanh', loss: 'mse' } as const;
    const { model } = buildMlpTrainingModel(spec);
    const engineMlp = new Mlp({ ...spec, seed: 1 });
    const params = Object.fromEntries(
      Object.entries(engineMlp.params).map(([name, values]) => [name, { values, shape: engineMlp.shapes[name] as number[] }]),
    );
    (params['dense0.weight'] as { values: Float32Array }).values[4] = Number.NaN;
    await expect(onnxruntimeTrainingBackend({ model, params })).rejects.toThrow(
      /^onnxruntimeTrainingBackend options\.params\.dense0\.weight\.values\[4\] must be finite, got NaN/,
    );
    (params['dense0.weight'] as { values: Float32Array }).values[4] = 0;
    (params['dense0.bias'] as { values: Float32Array }).values[0] = Number.NEGATIVE_INFINITY;
    await expect(onnxruntimeTrainingBackend({ model, params, update: 'engine' })).rejects.toThrow(
      /^onnxruntimeTrainingBackend options\.params\.dense0\.bias\.values\[0\] must be finite, got -Infinity/,
    );
    const mlp = {
      inputSize: 1,
      layers: [1],
      activation: 'tanh',
      loss: 'mse',
      weights: { 'dense0.weight': [Number.NaN], 'dense0.bias': [0] },
    } as const;
    await expect(onnxruntimeTrainingBackend({ mlp })).rejects.toThrow(
      /^onnxruntimeTrainingBackend options\.mlp\.weights\.dense0\.weight\[0\] must be finite, got NaN/,
    );
  });

  it('names a bad option and its value', async () => {
    await expect(onnxruntimeTrainingBackend({} as never)).rejects.toThrow(
      /onnxruntimeTrainingBackend options must give exactly one of mlp/,
    );
    await expect(
      onnxruntimeTrainingBackend({
        mlp: { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' },
        update: 'gpu' as never,
      }),
    ).rejects.toThrow(/options\.update must be "onnx" or "engine", got "gpu"/);
    await expect(onnxruntimeTrainingBackend({ model: Uint8Array.of(1, 2, 3) })).rejects.toThrow(
      /options\.params must be the parameters as \{ name: \{ values, shape \} \}/,
    );
    await expect(
      onnxruntimeTrainingBackend({
        mlp: { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' },
        accuracy: { rule: 'top5' } as never,
      }),
    ).rejects.toThrow(
      /^onnxruntimeTrainingBackend options\.accuracy must be 'none' or \{ rule: 'argmax' \| 'binary', threshold\? \}, got \{"rule":"top5"\}$/,
    );
  });

  it("scores an MLP by its loss unless told otherwise ('none' turns it off)", async () => {
    const mlp = { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' } as const;
    const scored = await onnxruntimeTrainingBackend({ mlp });
    const plain = await onnxruntimeTrainingBackend({ mlp, accuracy: 'none' });
    const binary = await onnxruntimeTrainingBackend({ mlp, accuracy: { rule: 'binary', threshold: 0.5 } });
    expect([scored.accuracy, plain.accuracy, binary.accuracy]).toEqual([{ rule: 'argmax' }, undefined, { rule: 'binary', threshold: 0.5 }]);
    for (const backend of [scored, plain, binary]) await backend.dispose();
  });
});
