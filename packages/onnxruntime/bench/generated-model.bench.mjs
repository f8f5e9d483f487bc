// `pnpm bench` (onnxruntime): the cost of a training graph that buildTrainingModel derives from an
// inference model, against the hand-written buildMlpTrainingModel graph of the same MLP
// (784-256-10 relu, softmax cross-entropy, batch 128): forward + backward on ONNX Runtime,
// the two sessions run alternately with the same feeds. Target: at most 1.2x per step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { targetRow } from '../../../tooling/scripts/bench-report.mjs';
import { buildMlpInferenceModel, buildMlpTrainingModel, buildTrainingModel } from '../dist/index.js';

const INPUT = 784;
const LAYERS = [256, 10];
const BATCH = 128;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const BLOCK = 12;
const WARM = 2;
const TARGET = 1.2;
const SESSION_OPTIONS = process.env.BENCH_ORT_SPIN === '1' ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } };

const architecture = { inputSize: INPUT, layers: LAYERS, activation: 'relu', seed: 1 };
const handWritten = buildMlpTrainingModel({ ...architecture, loss: 'softmaxCrossEntropy' });
const generated = buildTrainingModel(buildMlpInferenceModel({ ...architecture, parameters: 'initializers' }).model, {
  loss: 'softmaxCrossEntropy',
});

const random = seededRandom(7);
const feeds = {
  input: new ort.Tensor(
    'float32',
    Float32Array.from({ length: BATCH * INPUT }, () => random()),
    [BATCH, INPUT],
  ),
  target: new ort.Tensor(
    'float32',
    Float32Array.from({ length: BATCH }, () => Math.floor(random() * 10)),
    [BATCH],
  ),
};
for (const [name, p] of Object.entries(handWritten.params)) feeds[name] = new ort.Tensor('float32', p.values, [...p.shape]);

const sessions = {
  handWritten: await ort.InferenceSession.create(handWritten.model, SESSION_OPTIONS),
  generated: await ort.InferenceSession.create(generated.model, SESSION_OPTIONS),
};
const times = { handWritten: [], generated: [] };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (let round = 0; round < ROUNDS; round += 1) {
  for (const name of round % 2 === 0 ? ['handWritten', 'generated'] : ['generated', 'handWritten']) {
    for (let step = 0; step < BLOCK; step += 1) {
      const start = performance.now();
      await sessions[name].run(feeds);
      if (step >= WARM) times[name].push(performance.now() - start);
    }
  }
}
for (const session of Object.values(sessions)) await session.release();

const handMs = median(times.handWritten);
const generatedMs = median(times.generated);
const ratio = generatedMs / handMs;
console.log(
  `MLP ${INPUT}-${LAYERS.join('-')}, batch ${BATCH}: forward + backward on ONNX Runtime (medians over ${ROUNDS} alternating blocks of ${BLOCK - WARM} runs)`,
);
console.log(`buildMlpTrainingModel (hand-written graph)   ${handMs.toFixed(3)} ms`);
console.log(`buildTrainingModel (derived from inference)  ${generatedMs.toFixed(3)} ms`);
console.log(`derived / hand-written: ${ratio.toFixed(2)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'met' : 'NOT met'}`);

const resultsDirectory = process.env.STEPSIZE_BENCH_RESULTS ?? fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDirectory, { recursive: true });
const targets = [
  {
    id: 'generatedMlpVsHandWritten',
    measure: 'buildTrainingModel MLP step / hand-built buildMlpTrainingModel',
    value: ratio,
    comparison: '<=',
    target: TARGET,
    unit: 'x',
  },
].map(targetRow);
writeFileSync(
  join(resultsDirectory, 'generated-model.json'),
  `${JSON.stringify({ bench: 'onnxruntime-generated-model', node: process.version, date: new Date().toISOString(), rounds: ROUNDS, block: BLOCK, warm: WARM, handWrittenMs: handMs, generatedMs, targets }, null, 2)}\n`,
);
console.log(`results: ${join(resultsDirectory, 'generated-model.json')}`);
