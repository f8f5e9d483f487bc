import { StepsizeError } from '@stepsize/core';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkTrainingModel, inspectTrainingModel, type TrainingModelSignature } from './model-contract.js';
import { GraphBuilder } from './graph.js';

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

interface Sidecar {
  torchVersion: string;
  opset: number;
  inputs: string[];
  outputs: string[];
  params: Record<string, { shape: number[]; values: number[] }>;
  batch: { input: number[]; target: number[]; examples: number };
  expected: { loss: number; output: number[]; gradients: Record<string, number[]> };
}
const load = (stem: string): Sidecar => JSON.parse(readFileSync(fixture(`${stem}.json`), 'utf8')) as Sidecar;
const linear = load('torch-linear-training');
const mlp = load('torch-mlp-training');
const shapesOf = (sidecar: Sidecar) => Object.fromEntries(Object.entries(sidecar.params).map(([name, p]) => [name, { shape: p.shape }]));

/** Largest |actual - expected| relative to max(|expected|, 1% of the largest |expected|): float32 rounding is ~1e-7. */
function largestError(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  return Math.max(...expected.map((v, i) => Math.abs((actual[i] as number) - v) / Math.max(Math.abs(v), scale / 100)));
}

/** The thrown StepsizeError, its problems (error.value) and message. */
function failure(run: () => unknown): { error: StepsizeError; problems: string[]; message: string } {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StepsizeError);
  const error = caught as StepsizeError;
  expect(error.path).toBe('training model');
  return { error, problems: error.value as string[], message: error.message };
}

/** A matcher for one problem line of the message, written as plain text. */
const line = (text: string): RegExp => new RegExp(`\\n  - ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\n|$)`);

const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;
if (!torchAvailable)
  console.log(
    'model-contract: skipping the fixture regeneration check: /usr/bin/python3 cannot import torch (apt-get install python3-torch)',
  );

describe('checkTrainingModel on models exported from PyTorch', () => {
  it.runIf(torchAvailable)('the fixtures are exactly what tooling/goldens/torch_onnx_training_model.py exports', () => {
    const result = spawnSync('/usr/bin/python3', ['tooling/goldens/torch_onnx_training_model.py', '--check'], {
      cwd: repository,
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  it('ONNX Runtime exposes names, element types and shapes with symbolic dimensions as strings', async () => {
    const session = await ort.InferenceSession.create(fixture('torch-linear-training.onnx'));
    expect(session.inputNames).toEqual(linear.inputs);
    expect(session.outputNames).toEqual(linear.outputs);
    expect(session.inputMetadata).toEqual([
      { name: 'input', isTensor: true, type: 'float32', shape: ['batch', 4] },
      { name: 'target', isTensor: true, type: 'float32', shape: ['batch', 2] },
      { name: 'weight', isTensor: true, type: 'float32', shape: [4, 2] },
      { name: 'bias', isTensor: true, type: 'float32', shape: [2] },
    ]);
    expect(session.outputMetadata).toEqual([
      { name: 'loss', isTensor: true, type: 'float32', shape: [] },
      { name: 'output', isTensor: true, type: 'float32', shape: ['batch', 2] },
      { name: 'weight_grad', isTensor: true, type: 'float32', shape: [4, 2] },
      { name: 'bias_grad', isTensor: true, type: 'float32', shape: [2] },
    ]);
    await session.release();
  });

  for (const [stem, sidecar] of [
    ['torch-linear-training', linear],
    ['torch-mlp-training', mlp],
  ] as const) {
    it(`${stem}: passes the check and reproduces torch ${sidecar.torchVersion} autograd's loss, output and gradients`, async () => {
      const session = await ort.InferenceSession.create(fixture(`${stem}.onnx`));
      const contract = checkTrainingModel(session, shapesOf(sidecar));
      const features = sidecar.batch.input.length / sidecar.batch.examples;
      const targets = sidecar.batch.target.length / sidecar.batch.examples;
      expect(contract).toEqual({
        params: Object.keys(sidecar.params),
        hasOutput: true,
        input: { batch: 'batch', example: [features], exampleSize: features },
        target: { batch: 'batch', example: [targets], exampleSize: targets },
        output: { batch: 'batch', example: [targets], exampleSize: targets },
        symbols: {},
      });
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', Float32Array.from(sidecar.batch.input), [
          sidecar.batch.examples,
          ...(contract.input.example as number[]),
        ]),
        target: new ort.Tensor('float32', Float32Array.from(sidecar.batch.target), [
          sidecar.batch.examples,
          ...(contract.target.example as number[]),
        ]),
      };
      for (const name of contract.params) {
        const param = sidecar.params[name] as { shape: number[]; values: number[] };
        feeds[name] = new ort.Tensor('float32', Float32Array.from(param.values), param.shape);
      }
      const results = await session.run(feeds);
      expect(results.loss?.dims).toEqual([]);
      expect(Math.abs((results.loss?.data[0] as number) - sidecar.expected.loss) / sidecar.expected.loss).toBeLessThan(1e-6);
      expect(largestError(results.output?.data as Float32Array, sidecar.expected.output)).toBeLessThan(1e-5);
      for (const name of contract.params) {
        expect(results[`${name}_grad`]?.dims, name).toEqual(sidecar.params[name]?.shape);
        expect(
          largestError(results[`${name}_grad`]?.data as Float32Array, sidecar.expected.gradients[name] as number[]),
          name,
        ).toBeLessThan(1e-5);
      }
      await session.release();
    });
  }

  it('the batch axis is dynamic: 3 of the 6 examples give float64 least squares loss and gradients', async () => {
    const session = await ort.InferenceSession.create(fixture('torch-linear-training.onnx'));
    const [n, d, k] = [3, 4, 2];
    const x = linear.batch.input.slice(0, n * d);
    const y = linear.batch.target.slice(0, n * k);
    const w = (linear.params.weight as { values: number[] }).values;
    const b = (linear.params.bias as { values: number[] }).values;
    const f32 = (v: number) => Math.fround(v);
    // r = x w + b - y; loss = mean(r^2); dw = 2 x^T r / (n k); db = 2 sum_rows(r) / (n k)
    const r = Array.from({ length: n * k }, (_, i) => {
      const [row, col] = [Math.floor(i / k), i % k];
      let sum = f32(b[col] as number);
      for (let j = 0; j < d; j += 1) sum += f32(x[row * d + j] as number) * f32(w[j * k + col] as number);
      return sum - f32(y[i] as number);
    });
    const loss = r.reduce((s, v) => s + v * v, 0) / (n * k);
    const dw = Array.from({ length: d * k }, (_, i) => {
      const [j, col] = [Math.floor(i / k), i % k];
      let sum = 0;
      for (let row = 0; row < n; row += 1) sum += f32(x[row * d + j] as number) * (r[row * k + col] as number);
      return (2 * sum) / (n * k);
    });
    const db = Array.from({ length: k }, (_, col) => (2 * r.filter((_, i) => i % k === col).reduce((s, v) => s + v, 0)) / (n * k));
    const results = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(x), [n, d]),
      target: new ort.Tensor('float32', Float32Array.from(y), [n, k]),
      weight: new ort.Tensor('float32', Float32Array.from(w), [d, k]),
      bias: new ort.Tensor('float32', Float32Array.from(b), [k]),
    });
    expect(results.output?.dims).toEqual([n, k]);
    expect(Math.abs((results.loss?.data[0] as number) - loss) / loss).toBeLessThan(1e-6);
    expect(largestError(results.weight_grad?.data as Float32Array, dw)).toBeLessThan(1e-5);
    expect(largestError(results.bias_grad?.data as Float32Array, db)).toBeLessThan(1e-5);
    await session.release();
  });

  it('a parameter whose shape differs from the model is named with both shapes, for the input and for its gradient', async () => {
    const session = await ort.InferenceSession.create(fixture('torch-linear-training.onnx'));
    const { problems, message } = failure(() => checkTrainingModel(session, { ...shapesOf(linear), weight: { shape: [2, 4] } }));
    expect(problems).toEqual([
      'input "weight" must have shape [2, 4], got [4, 2]',
      'output "weight_grad" must have shape [2, 4], got [4, 2]',
    ]);
    expect(message).toBe(`training model does not follow the training convention (2 problems):\n  - ${problems.join('\n  - ')}`);
    const rank = failure(() => checkTrainingModel(session, { ...shapesOf(linear), bias: { shape: [1, 2] } }));
    expect(rank.problems).toEqual(['input "bias" must have shape [1, 2], got [2]', 'output "bias_grad" must have shape [1, 2], got [2]']);
    await session.release();
  });
});

describe('checkTrainingModel on models that break the convention', () => {
  it('a model broken in thirteen ways at once: one error names every problem', async () => {
    const graph = new GraphBuilder('broken');
    const input = graph.input('input', 'int64', ['batch', 3]); // not float32; no target at all
    graph.input('dropout_seed', 'float32', []); // not a parameter
    const w = graph.input('w', 'float32', [4, 3]); // the parameter is [3, 4]
    const u = graph.input('u', 'float32', [5, 'h']); // binds h = 2
    const v = graph.input('v', 'float32', ['h']); // h again, but v has 3
    const s = graph.input('s', 'float32', ['batch']); // a parameter that would change with the batch
    graph.output(graph.op('ReduceSum', [v], { keepdims: { int: 1 } }), 'loss', 'float32', [1]); // not a scalar
    graph.output(input, 'output', 'int64', ['batch', 3]); // predictions not float32
    graph.output(graph.op('Reshape', [w, graph.ints([12])]), 'w_grad', 'float32', [12]); // wrong rank
    graph.output(graph.op('Neg', [u]), 'u_grad', 'float32', [5, 'h']);
    graph.output(graph.op('Neg', [v]), 'v_grad', 'float32', ['h']);
    graph.output(graph.op('Neg', [s]), 's_grad', 'float32', ['batch']);
    const session = await ort.InferenceSession.create(graph.toModel());
    const params = { w: { shape: [3, 4] }, b: { shape: [4] }, u: { shape: [5, 2] }, v: { shape: [3] }, s: { shape: [4] } };
    const { problems, message } = failure(() => checkTrainingModel(session, params));
    const batchDependent = '"batch" is the batch dimension of input "input", and a parameter cannot change with the batch size';
    const expected = [
      'input "input" must be a float32 tensor, got int64',
      'input "target" is missing',
      'output "output" must be a float32 tensor, got int64',
      'output "loss" must have shape [], got [1] (the loss is a scalar)',
      'input "w" must have shape [3, 4], got [4, 3]',
      'input "b" is missing',
      'input "v" must have shape [3], got [h]: dimension 0 "h" is 2 at input "u" dimension 1',
      `input "s" must have shape [4], got [batch]: ${batchDependent}`,
      'output "w_grad" must have shape [3, 4], got [12]',
      'output "b_grad" is missing',
      'output "v_grad" must have shape [3], got [h]: dimension 0 "h" is 2 at input "u" dimension 1',
      `output "s_grad" must have shape [4], got [batch]: ${batchDependent}`,
      'input "dropout_seed" is neither input, target nor a parameter (w, b, u, v, s)',
    ];
    expect(message).toMatch(/^training model does not follow the training convention \(13 problems\):\n/);
    for (const problem of expected) expect(message).toMatch(line(problem));
    expect(problems).toEqual(expected);
    await session.release();
  });

  it('fixed batch sizes must agree; batched values need a leading dimension; symbolic parameter dimensions still bind', async () => {
    const graph = new GraphBuilder('fixed');
    const input = graph.input('input', 'float32', [4, 'features']);
    graph.input('target', 'float32', [5, 'outputs']); // another fixed batch size
    const w = graph.input('w', 'float32', ['features', 'outputs']);
    const prediction = graph.op('MatMul', [input, w]);
    graph.output(graph.op('ReduceMean', [prediction], { keepdims: { int: 0 } }), 'loss', 'float32', []);
    graph.output(graph.op('ReduceMax', [prediction], { keepdims: { int: 0 } }), 'output', 'float32', []); // no batch dimension
    graph.output(graph.op('Neg', [w]), 'w_grad', 'float32', ['features', 'outputs']);
    const session = await ort.InferenceSession.create(graph.toModel());
    const { problems } = failure(() => checkTrainingModel(session, { w: { shape: [3, 2] } }));
    expect(problems).toEqual([
      'output "output" must have a leading batch dimension, got [] (ONNX Runtime reports [] both for a scalar and for a value whose shape the model does not declare)',
      'input "target" must have the batch size of input "input" (4) as its leading dimension, got [5, outputs]',
    ]);
    // The description is still read: the parameter binds the symbols of the features and the outputs.
    const { contract } = inspectTrainingModel(session, { w: { shape: [3, 2] } });
    expect(contract.symbols).toEqual({ features: 3, outputs: 2 });
    expect(contract.input).toEqual({ batch: 4, example: [3], exampleSize: 3 });
    expect(contract.target).toEqual({ batch: 5, example: [2], exampleSize: 2 });
    await session.release();
  });

  it("output metadata is ONNX Runtime's shape inference merged with the declaration: a gradient declared wrong but inferred right passes", async () => {
    const graph = new GraphBuilder('inferred');
    const input = graph.input('input', 'float32', ['batch', 3]);
    graph.input('target', 'float32', ['batch', 1]);
    const w = graph.input('w', 'float32', [3, 1]);
    graph.output(graph.op('ReduceSum', [graph.op('MatMul', [input, w])], { keepdims: { int: 0 } }), 'loss', 'float32', []);
    graph.output(graph.op('Neg', [w]), 'w_grad', 'float32', [7, 'q']); // ORT infers [3, 1] and keeps it
    const session = await ort.InferenceSession.create(graph.toModel(), { logSeverityLevel: 3 });
    expect(session.outputMetadata.find((m) => m.name === 'w_grad')).toMatchObject({ shape: [3, 1] });
    expect(checkTrainingModel(session, { w: { shape: [3, 1] } }).params).toEqual(['w']);
    await session.release();
  });

  it("a model generic in its sizes passes: symbolic parameter dimensions take the parameters' sizes", async () => {
    const graph = new GraphBuilder('generic');
    const input = graph.input('input', 'float32', ['n', 'features']);
    const target = graph.input('target', 'float32', ['n', 'outputs', '']);
    const w = graph.input('w', 'float32', ['features', 'outputs']);
    const b = graph.input('b', 'float32', ['']);
    const prediction = graph.op('Add', [graph.op('MatMul', [input, w]), b]);
    graph.output(
      graph.op(
        'ReduceMean',
        [graph.op('Sub', [prediction, graph.op('ReduceMean', [target], { axes: { ints: [2] }, keepdims: { int: 0 } })])],
        { keepdims: { int: 0 } },
      ),
      'loss',
      'float32',
      [],
    );
    graph.output(graph.op('Neg', [w]), 'w_grad', 'float32', ['features', 'outputs']);
    graph.output(graph.op('Neg', [b]), 'b_grad', 'float32', ['outputs']);
    const session = await ort.InferenceSession.create(graph.toModel());
    expect(checkTrainingModel(session, { b: { shape: [2] }, w: { shape: [3, 2] } })).toEqual({
      params: ['w', 'b'],
      hasOutput: false,
      input: { batch: 'n', example: [3], exampleSize: 3 },
      target: { batch: 'n', example: [2, ''], exampleSize: undefined },
      output: undefined,
      symbols: { features: 3, outputs: 2 },
    });
    await session.release();
  });

  it('refuses non-tensor values, reserved or colliding parameter names, bad parameter shapes and an empty parameter set', () => {
    const tensor = (name: string, shape: (number | string)[]) => ({ name, isTensor: true as const, type: 'float32' as const, shape });
    const signature: TrainingModelSignature = {
      inputNames: ['input', 'target', 'w', 'w_grad'],
      outputNames: ['loss', 'w_grad'],
      inputMetadata: [tensor('input', ['batch', 2]), tensor('target', ['batch']), tensor('w', [2]), tensor('w_grad', [2])],
      outputMetadata: [{ name: 'loss', isTensor: false }, tensor('w_grad', [2])],
    };
    const { problems } = failure(() =>
      checkTrainingModel(signature, { input: { shape: [2] }, w: { shape: [2] }, w_grad: { shape: [2] }, x: { shape: [1.5] } }),
    );
    expect(problems).toEqual([
      'parameter "input" uses a reserved name (input, target are the batch\'s inputs)',
      'parameter "x" shape must be an array of integers >= 0, got [1.5]',
      'parameters "w" and "w_grad" collide: "w_grad" is the gradient output of "w"',
      'output "loss" must be a float32 tensor, got a non-tensor value (sequence, map or optional)',
      'output "w_grad_grad" is missing',
    ]);
    expect(
      failure(() =>
        checkTrainingModel(
          { ...signature, inputNames: ['input', 'target'], outputNames: ['loss'], outputMetadata: [tensor('loss', [])] },
          {},
        ),
      ).problems,
    ).toEqual(['no parameters given: a training model has at least one parameter input and its gradient']);
  });
});
