// `pnpm bench` (tfjs): which tfjs backend to train on in Node. One train() step (batch 32,
// forward, tf.variableGrads, AdamW) of an MLP 784-128-10 through tfjsTrainingBackend, on the cpu
// and the wasm backend, in alternating blocks of steps so both see the same machine noise.
// Medians per block; compare the ratio, not the milliseconds.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { adamW, train } from '@stepsize/core';
import { tfjsTrainingBackend } from '../dist/index.js';

const MLP = { inputSize: 784, layers: [128, 10], activation: 'relu', loss: 'softmaxCrossEntropy', seed: 1 };
const EXAMPLES = 320;
const data = {
  inputs: Float32Array.from({ length: EXAMPLES * 784 }, (_, i) => Math.abs(Math.sin(i * 0.37))),
  targets: Float32Array.from({ length: EXAMPLES }, (_, i) => i % 10),
  examples: EXAMPLES,
};
const STEPS = 10;
const ROUNDS = 5;

/** Milliseconds per step of one block of STEPS train() steps on a tfjs backend (the first call warms up). */
async function block(name) {
  await tf.setBackend(name);
  await tf.ready();
  const backend = await tfjsTrainingBackend({ mlp: MLP });
  const start = performance.now();
  await train({ backend, optimizer: adamW({ learningRate: 1e-3 }), data, batchSize: 32, steps: STEPS });
  const ms = (performance.now() - start) / STEPS;
  backend.dispose();
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { cpu: [], wasm: [] };
for (const name of Object.keys(times)) await block(name);
for (let round = 0; round < ROUNDS; round += 1) for (const name of Object.keys(times)) times[name].push(await block(name));
const cpu = median(times.cpu);
const wasm = median(times.wasm);
console.log(`tfjs training step, MLP 784-128-10, batch 32, AdamW (median of ${ROUNDS} blocks of ${STEPS} steps)`);
console.log(`cpu  ${cpu.toFixed(1).padStart(8)} ms/step`);
console.log(`wasm ${wasm.toFixed(1).padStart(8)} ms/step   (${(cpu / wasm).toFixed(1)}x faster than cpu)`);
console.log(JSON.stringify({ bench: 'tfjs-backends', cpuMs: cpu, wasmMs: wasm, ratio: cpu / wasm }));
