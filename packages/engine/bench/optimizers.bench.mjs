// `pnpm bench` (engine): optimizer step throughput in Mparams/s for SGD with momentum,
// Adam and AdamW on 1M and 10M parameters, side by side with the memory-streaming limit
// measured in the same run and, where /usr/bin/python3 has torch, torch.optim on the same
// sizes. Best of several repetitions; the machine is noisy, compare ratios.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adam, adamW, OptimizerRunner, sgd } from '@stepsize/core';
import { float32Ops, fusedKernels } from '../dist/index.js';

const SIZES = [1_000_000, 10_000_000];
const BYTES_PER_PARAM = { sgdMomentum: 20, adam: 28, adamW: 28 }; // reads p, g, slots; writes p, slots

function best(repeats, fn) {
  let fastest = Infinity;
  for (let r = 0; r < repeats; r += 1) {
    const start = process.hrtime.bigint();
    fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return fastest;
}

function fill(n, seed) {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i += 1) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
}

// Streaming bandwidth: a JS loop that reads 4 float32 arrays and writes 3 (Adam's traffic)
// with the cheapest arithmetic, so it is bounded by memory, not by compute.
function streamingBytesPerSecond(n) {
  const [p, g, m, v] = [fill(n, 1), fill(n, 2), fill(n, 3), fill(n, 4)];
  const loop = () => {
    for (let i = 0; i < n; i += 1) {
      const gi = g[i];
      m[i] += gi;
      v[i] += gi;
      p[i] -= gi;
    }
  };
  loop();
  const seconds = best(5, loop);
  const copy = new Float32Array(n);
  const copySeconds = best(5, () => copy.set(p));
  return { loop: (28 * n) / seconds, copy: (8 * n) / copySeconds };
}

const optimizers = {
  sgdMomentum: () => sgd({ learningRate: 0.01, momentum: 0.9 }),
  adam: () => adam({ learningRate: 1e-3 }),
  adamW: () => adamW({ learningRate: 1e-3 }),
};

const rows = [];
const stream = streamingBytesPerSecond(10_000_000);
for (const size of SIZES) {
  for (const [name, make] of Object.entries(optimizers)) {
    const params = { w: fill(size, 7) };
    const grad = { w: fill(size, 9) };
    const fused = new OptimizerRunner({ optimizer: make(), ops: float32Ops, params, kernels: fusedKernels });
    fused.step(grad);
    const repeats = size <= 1_000_000 ? 20 : 5;
    const runnerSeconds = best(repeats, () => fused.step(grad));
    // The kernel alone (no non-finite scan of the gradient). Options are plain numbers here,
    // so they are already this step's hyperparameter values.
    const { definition, groups } = fused.optimizer;
    const options = groups[groups.length - 1].options;
    const hyper = definition.hyper(options, options);
    const kernel = fusedKernels[definition.type];
    const { values } = definition.math.scalars(hyper, 10, {});
    const slots = fused.state.params.w;
    const kernelSeconds = best(repeats, () => kernel({ param: params.w, grad: grad.w, slots, scalars: values, flags: hyper }));
    rows.push({ name, size, kernel: size / kernelSeconds, runner: size / runnerSeconds, limit: stream.loop / BYTES_PER_PARAM[name] });
  }
}

let torch;
const script = fileURLToPath(new URL('./torch_adam.py', import.meta.url));
const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status === 0) {
  const result = spawnSync('/usr/bin/python3', [script, ...SIZES.map(String)], { encoding: 'utf8' });
  if (result.status === 0) torch = JSON.parse(result.stdout.trim().split('\n').pop());
  else console.log(`torch benchmark failed: ${result.stderr.trim().split('\n').pop()}`);
} else {
  console.log('torch: /usr/bin/python3 cannot import torch (apt-get install python3-torch); torch columns skipped');
}

const m = (x) => (x / 1e6).toFixed(1).padStart(8);
console.log(
  `optimizer step throughput, Mparams/s (node ${process.version}${torch ? `, torch ${torch.torch} on ${torch.threads} threads` : ''})`,
);
console.log(
  `streaming: JS loop ${(stream.loop / 1e9).toFixed(1)} GB/s (28 B/param pattern), memcpy ${(stream.copy / 1e9).toFixed(1)} GB/s`,
);
console.log(
  `${'optimizer'.padEnd(12)} ${'params'.padStart(10)} ${'kernel'.padStart(8)} ${'runner'.padStart(8)} ${'limit'.padStart(8)} ${'of limit'.padStart(9)} ${'torch'.padStart(8)} ${'vs torch'.padStart(9)}`,
);
for (const row of rows) {
  const t = torch?.paramsPerSecond[`${row.name}/${row.size}`];
  console.log(
    `${row.name.padEnd(12)} ${String(row.size).padStart(10)} ${m(row.kernel)} ${m(row.runner)} ${m(row.limit)} ${`${((100 * row.kernel) / row.limit).toFixed(0)}%`.padStart(9)} ${t ? m(t) : '       -'} ${t ? `${(row.kernel / t).toFixed(2)}x`.padStart(9) : '        -'}`,
  );
}
console.log(JSON.stringify({ bench: 'engine-optimizers', streaming: stream, rows, torch }));
