import { createFastKernels, Mlp } from '/work/main/packages/engine/dist/index.js';
const fast = await createFastKernels({ threads: Number(process.env.T ?? 2) });
function best(k, fn) {
  let b = Infinity;
  for (let i = 0; i < k; i++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}
const fill = (a, z = 0) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() < z ? 0 : Math.random() - 0.5;
  return a;
};
const cases = {
  fwd: [128, 784, 256, 784, 1],
  gradW: [784, 128, 256, 1, 784],
  fwd2: [128, 256, 10, 256, 1],
  gradW2: [256, 128, 10, 1, 256],
  dx2: [128, 10, 256, 10, 1],
};
for (const [name, [rows, depth, columns, ars, ads]] of Object.entries(cases)) {
  const a = fast.from(fill(new Float32Array(rows * depth), name === 'fwd' ? 0 : 0.5)),
    b = fast.from(fill(new Float32Array(depth * columns))),
    c = fast.allocate(rows * columns + 4);
  const t = best(50, () => fast.matmul({ c, a, b, rows, depth, columns, aRowStride: ars, aDepthStride: ads }));
  console.log(name, t.toFixed(3), 'ms', ((2 * rows * depth * columns) / t / 1e6).toFixed(1), 'GFLOP/s');
}
const mlp = new Mlp({ inputSize: 784, layers: [256, 10], activation: 'relu', seed: 1, matmul: fast.matmul, allocate: fast.allocate });
const inputs = fill(new Float32Array(128 * 784));
const targets = Float32Array.from({ length: 128 }, (_, i) => i % 10);
const args = { inputs, targets, batch: 128, loss: 'softmaxCrossEntropy' };
console.log('lossAndGradients', best(30, () => mlp.lossAndGradients(args)).toFixed(3), 'ms', 'fused', fast.fusedMultiplyAdd);
await fast.close();
{
  const fast2 = await createFastKernels({ threads: Number(process.env.T2 ?? 2) });
  const mlp = new Mlp({ inputSize: 784, layers: [256, 10], activation: 'relu', seed: 1, matmul: fast2.matmul, allocate: fast2.allocate });
  const inputs = fill(new Float32Array(128 * 784));
  const targets = Float32Array.from({ length: 128 }, (_, i) => i % 10);
  const args = { inputs, targets, batch: 128, loss: 'softmaxCrossEntropy' };
  for (const pause of [0, 3, 20]) {
    const ts = [];
    for (let i = 0; i < 30; i++) {
      if (pause) {
        const until = performance.now() + pause;
        while (performance.now() < until);
      }
      const t = performance.now();
      mlp.lossAndGradients(args);
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    console.log('busy pause', pause, 'median', ts[15].toFixed(3));
    const ts2 = [];
    for (let i = 0; i < 30; i++) {
      if (pause) await new Promise((r) => setTimeout(r, pause));
      const t = performance.now();
      mlp.lossAndGradients(args);
      ts2.push(performance.now() - t);
    }
    ts2.sort((a, b) => a - b);
    console.log('idle pause', pause, 'median', ts2[15].toFixed(3));
  }
  await fast2.close();
}
