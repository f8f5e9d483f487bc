import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph.js';
import { buildTrainingModel } from './build-training-model.js';

const BATCH = 4;
const WIDTH = 6;
const RATIO = 0.4;

/** `output = Dropout(x · w, ratio 0.4)`, w a [6] initializer. */
function dropoutModel(): Uint8Array {
  const graph = new GraphBuilder('dropout');
  const x = graph.input('x', 'float32', ['batch', WIDTH]);
  const w = graph.initializer(
    'w',
    [WIDTH],
    Array.from({ length: WIDTH }, (_, i) => 0.5 + 0.1 * i),
  );
  const dropped = graph.op('Dropout', [graph.op('Mul', [x, w]), graph.scalar(RATIO, 'ratio')]);
  graph.output(dropped, 'y', 'float32', ['batch', WIDTH]);
  return graph.toModel();
}

const input = Float32Array.from({ length: BATCH * WIDTH }, (_, i) => 1 + Math.sin(i));
const target = Float32Array.from({ length: BATCH * WIDTH }, (_, i) => Math.cos(i));

async function run(dropout: 'identity' | 'active'): Promise<{ output: Float32Array; gradient: Float32Array; loss: number }> {
  const { model, params } = buildTrainingModel(dropoutModel(), { loss: 'mse', dropout });
  expect(Object.keys(params)).toEqual(['w']);
  const session = await ort.InferenceSession.create(model);
  const results = await session.run({
    input: new ort.Tensor('float32', input, [BATCH, WIDTH]),
    target: new ort.Tensor('float32', target, [BATCH, WIDTH]),
    w: new ort.Tensor('float32', (params.w as { values: Float32Array }).values, [WIDTH]),
  });
  await session.release();
  return {
    output: results.output?.data as Float32Array,
    gradient: results.w_grad?.data as Float32Array,
    loss: (results.loss as ort.Tensor).data[0] as number,
  };
}

/** dL/dw_j = Σ_b 2 (y - t) / n · dy/dw_j with dy/dw_j = x · keep / (1 - ratio) (keep = 1 without dropout). */
function expectedGradient(output: Float32Array, scaleOf: (b: number, j: number) => number): number[] {
  return Array.from({ length: WIDTH }, (_, j) => {
    let sum = 0;
    for (let b = 0; b < BATCH; b += 1) {
      const i = b * WIDTH + j;
      sum += ((2 * ((output[i] as number) - (target[i] as number))) / (BATCH * WIDTH)) * (input[i] as number) * scaleOf(b, j);
    }
    return sum;
  });
}

describe('buildTrainingModel dropout option', () => {
  it("'identity' (default): the inference behaviour, y = x · w", async () => {
    const { output, gradient } = await run('identity');
    output.forEach((value, i) => {
      expect(value).toBeCloseTo((input[i] as number) * (0.5 + 0.1 * (i % WIDTH)), 5);
    });
    expectedGradient(output, () => 1).forEach((value, j) => {
      expect(gradient[j]).toBeCloseTo(value, 5);
    });
  });

  it("'active': random masks, kept values scaled by 1 / (1 - ratio), the gradient through the same mask", async () => {
    const first = await run('active');
    const second = await run('active');
    const kept = (output: Float32Array, i: number): boolean => output[i] !== 0;
    first.output.forEach((value, i) => {
      if (kept(first.output, i)) expect(value).toBeCloseTo(((input[i] as number) * (0.5 + 0.1 * (i % WIDTH))) / (1 - RATIO), 5);
    });
    const dropped = Array.from(first.output).filter((v) => v === 0).length;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(BATCH * WIDTH);
    expect(Array.from(first.output)).not.toEqual(Array.from(second.output));
    const expected = expectedGradient(first.output, (b, j) => (kept(first.output, b * WIDTH + j) ? 1 / (1 - RATIO) : 0));
    expected.forEach((value, j) => {
      expect(first.gradient[j]).toBeCloseTo(value, 5);
    });
  });

  it('rejects another value, naming the option', () => {
    expect(() => buildTrainingModel(dropoutModel(), { loss: 'mse', dropout: 'on' as 'active' })).toThrow(/options\.dropout.*"on"/);
  });
});

describe('a Dropout exported in train() mode (training_mode input true)', () => {
  it("is the identity under 'identity' even with ONNX Runtime's graph optimizations disabled", async () => {
    const graph = new GraphBuilder('dropout_train_mode');
    const x = graph.input('x', 'float32', ['batch', WIDTH]);
    const w = graph.initializer(
      'w',
      [WIDTH],
      Array.from({ length: WIDTH }, (_, i) => 0.5 + 0.1 * i),
    );
    const dropped = graph.op('Dropout', [
      graph.op('Mul', [x, w]),
      graph.scalar(RATIO, 'ratio'),
      graph.constant('training', 'bool', [], [1]),
    ]);
    graph.output(dropped, 'y', 'float32', ['batch', WIDTH]);
    const { model, params } = buildTrainingModel(graph.toModel(), { loss: 'mse' });
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
    const results = await session.run({
      input: new ort.Tensor('float32', input, [BATCH, WIDTH]),
      target: new ort.Tensor('float32', target, [BATCH, WIDTH]),
      w: new ort.Tensor('float32', (params.w as { values: Float32Array }).values, [WIDTH]),
    });
    await session.release();
    const output = results.output?.data as Float32Array;
    output.forEach((value, i) => {
      expect(value).toBeCloseTo((input[i] as number) * (0.5 + 0.1 * (i % WIDTH)), 5);
    });
  });
});
