import { createFastKernels, Mlp } from '/work/main/packages/engine/dist/index.js';
const fast = await createFastKernels({ threads: 2 });
const fill = (a) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() - 0.5;
  return a;
};
let log = [];
const matmul = (args) => {
  const t = performance.now();
  fast.matmul(args);
  log.push(`${args.rows}x${args.depth}x${args.columns}:${(performance.now() - t).toFixed(2)}`);
};
const mlp = new Mlp({ inputSize: 784, layers: [256, 10], activation: 'relu', seed: 1, matmul, allocate: fast.allocate });
const inputs = fill(new Float32Array(128 * 784));
const targets = Float32Array.from({ length: 128 }, (_, i) => i % 10);
const args = { inputs, targets, batch: 128, loss: 'softmaxCrossEntropy' };
for (let i = 0; i < 20; i++) mlp.lossAndGradients(args);
for (let i = 0; i < 4; i++) {
  await new Promise((r) => setTimeout(r, 20));
  log = [];
  const t = performance.now();
  mlp.lossAndGradients(args);
  console.log((performance.now() - t).toFixed(2), log.join(' '));
}
await fast.close();
