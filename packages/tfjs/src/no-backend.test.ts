// This file imports no tfjs backend (vitest runs each test file in its own environment):
// what a program that forgot to import one sees.
import { type ConformanceCase, runCase } from '@stepsize/conformance';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conformanceBackend } from './conformance-backend.js';
import { tfjsTrainingBackend } from './training-backend.js';

const sgdCase: ConformanceCase = {
  name: 'sgd, one step',
  optimizer: { type: 'sgd', learningRate: 0.5 },
  params: { w: { shape: [2], values: [1, 2] } },
  gradients: [{ w: [1, -1] }],
  trajectory: [{ w: [0.5, 2.5] }],
};

const mlp = { inputSize: 2, layers: [3, 2], activation: 'tanh', loss: 'softmaxCrossEntropy' } as const;

describe('without a registered tfjs backend', () => {
  it('fails every conformance case and the training backend with an error saying what to import', async () => {
    expect(tf.engine().backendNames()).toEqual([]);
    const result = await runCase(conformanceBackend, sgdCase);
    expect(result.passed).toBe(false);
    expect(result.error).toMatch(
      /^tfjs conformance backend found no tfjs backend registered: import "@tensorflow\/tfjs-backend-cpu" \(or "@tensorflow\/tfjs"/,
    );
    expect(conformanceBackend.name).toBe('tfjs (no backend)');
    await expect(tfjsTrainingBackend({ mlp })).rejects.toThrow(/^tfjsTrainingBackend options found no tfjs backend registered: import/);
  });

  it('asks to await an asynchronous backend, then works on whatever backend is active', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const pending = await runCase(conformanceBackend, sgdCase);
    expect(pending.error).toMatch(/found no active tfjs backend \(registered: wasm\): call await tf\.setBackend\(name\)/);
    // prepare() and the training backend wait for it (tf.ready()).
    await conformanceBackend.prepare();
    expect(conformanceBackend.name).toBe('tfjs (wasm)');
    const backend = await tfjsTrainingBackend({ mlp });
    expect(backend.name).toBe('tfjs (wasm)');
    backend.dispose();
    const ready = await runCase(conformanceBackend, sgdCase);
    expect(ready).toMatchObject({ passed: true, maxError: 0 });
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    expect(await runCase(conformanceBackend, sgdCase)).toMatchObject({ passed: true });
    expect(conformanceBackend.name).toBe('tfjs (cpu)');
  });
});
