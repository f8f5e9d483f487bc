import { adamW, compileOptimizer, nadam, rmsprop, sgd, type Optimizer } from '@stepsize/core';
import { float32Ops } from '@stepsize/engine';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrainingModel } from '../autodiff/build-training-model.js';
import { traceUpdate } from '../update/trace-update.js';
import { GraphBuilder } from './graph.js';
import { buildMlpInferenceModel, buildMlpTrainingModel } from './mlp-model.js';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
if (!available)
  console.warn('onnx.checker tests skipped: Debian python3-onnx is not installed (apt-get install python3-onnx; CI installs it)');

const CHECK =
  'import onnx, sys\nfor path in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(path), full_check=True)\nprint(onnx.__version__)';

function check(models: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stepsize-onnx-'));
  const paths = Object.entries(models).map(([name, bytes]) => {
    const path = join(dir, `${name}.onnx`);
    writeFileSync(path, bytes);
    return path;
  });
  return execFileSync(PYTHON, ['-c', CHECK, ...paths], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The update graph ParameterUpdater builds for the first step of `optimizer` on a [3, 2] parameter. */
function updateGraph(optimizer: Optimizer): Uint8Array {
  const compiled = compileOptimizer(optimizer);
  const state = compiled.init(float32Ops, { w: new Float32Array(6) });
  return traceUpdate({ compiled, plan: compiled.plan(state), shapes: { w: [3, 2] }, state }).model;
}

describe.skipIf(!available)('generated ONNX models pass onnx.checker (full check, Debian python3-onnx)', () => {
  it('MLP training and inference models, every activation, loss and matmul form', () => {
    const models: Record<string, Uint8Array> = {};
    for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
      for (const loss of ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'] as const) {
        for (const matmul of ['Gemm', 'MatMul'] as const)
          models[`train-${activation}-${loss}-${matmul}`] = buildMlpTrainingModel({
            inputSize: 5,
            layers: [7, 3],
            activation,
            loss,
            matmul,
          }).model;
      }
      models[`infer-${activation}`] = buildMlpInferenceModel({ inputSize: 5, layers: [7, 6, 3], activation }).model;
    }
    const version = check(models);
    console.log(`onnx.checker (onnx ${version}, full_check): ${Object.keys(models).length} MLP models pass`);
  });

  it('training models buildTrainingModel makes from torch-exported inference models, every loss', () => {
    const directory = new URL('../../fixtures/inference-models/', import.meta.url);
    const read = (name: string): Uint8Array => readFileSync(new URL(`${name}.onnx`, directory));
    const version = check({
      mlp: buildTrainingModel(read('mlp'), { loss: 'softmaxCrossEntropy' }).model,
      mlpOneHot: buildTrainingModel(read('mlp'), { loss: 'softmaxCrossEntropy', target: 'oneHot' }).model,
      cnn: buildTrainingModel(read('cnn'), { loss: 'softmaxCrossEntropy' }).model,
      cnnLastLayer: buildTrainingModel(read('cnn'), { loss: 'mse', trainable: ['7.weight', '7.bias'] }).model,
      transformer: buildTrainingModel(read('transformer'), { loss: 'mse' }).model,
      batchnorm: buildTrainingModel(read('batchnorm'), { loss: 'binaryCrossEntropy' }).model,
      reshape: buildTrainingModel(read('reshape'), { loss: 'mse' }).model,
      activations: buildTrainingModel(read('activations'), { loss: 'mse' }).model,
      mlpFromBuilder: buildTrainingModel(
        buildMlpInferenceModel({ inputSize: 5, layers: [7, 3], activation: 'sigmoid', parameters: 'initializers' }).model,
        { loss: 'mse' },
      ).model,
    });
    expect(version).toMatch(/^1\./);
  });

  it('traced optimizer update graphs', () => {
    const version = check({
      adamW: updateGraph(adamW({ learningRate: 0.01, weightDecay: 0.1, amsgrad: true, clipGradientNorm: 1 })),
      nadam: updateGraph(nadam({ emaDecay: 0.9 })),
      rmsprop: updateGraph(rmsprop({ centered: true, momentum: 0.5 })),
      sgd: updateGraph(sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, clipGradientValue: 0.5 })),
    });
    expect(version).toMatch(/^1\./);
  });

  it('the check really fails on a broken model (a node reading an undefined value)', () => {
    const graph = new GraphBuilder('broken');
    const x = graph.input('x', 'float32', [2]);
    graph.output(graph.op('Add', [x, 'nowhere']), 'y', 'float32', [2]);
    expect(() => check({ broken: graph.toModel() })).toThrow(/nowhere/);
  });
});
