// `pnpm bench` (core): schedule evaluation throughput on this machine.
// Figures are best-of-5 runs measured side by side in one process; the machine is
// noisy, so compare ratios, not absolute times. Target: >= 20 M composite evaluations/s.
import { cosineAnnealing, cosineRestarts, product, reduceOnPlateau, sample, warmup } from '../dist/index.js';

const TARGET = 20e6;

function composite() {
  const lr = product({
    schedules: [
      warmup({
        steps: 1_000,
        schedule: cosineRestarts({ initialValue: 1e-3, firstPeriod: 2_000, periodMultiplier: 2, minValue: 1e-6 }),
      }),
      reduceOnPlateau({ initialValue: 1, patience: 3 }),
    ],
  });
  for (let step = 0; step < 20; step += 1) lr.observe({ step, metric: 1 }); // one reduction: state is live
  return lr;
}

function best(runs, fn) {
  let fastest = Infinity;
  let checksum = 0;
  for (let r = 0; r < runs; r += 1) {
    const start = process.hrtime.bigint();
    checksum += fn();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    fastest = Math.min(fastest, seconds);
  }
  return { seconds: fastest, checksum };
}

const evaluations = 10_000_000;
const lr = composite();
const simple = cosineAnnealing({ initialValue: 1e-3, steps: 1_000_000 });

function evaluateAll(schedule, count, stride) {
  let sum = 0;
  for (let i = 0, step = 0; i < count; i += 1, step += stride) sum += schedule(step);
  return sum;
}

// Warm up the JIT before timing.
evaluateAll(lr, 1_000_000, 7);
evaluateAll(simple, 1_000_000, 7);

const rows = [];
const sequential = best(5, () => evaluateAll(lr, evaluations, 1));
rows.push(['composite (warmup > cosine restarts x plateau), steps 0..1e7', evaluations / sequential.seconds]);
const far = best(5, () => evaluateAll(lr, evaluations, 104_729));
rows.push(['composite at far steps (stride 104729, up to ~1e12)', evaluations / far.seconds]);
const plain = best(5, () => evaluateAll(simple, evaluations, 1));
rows.push(['cosineAnnealing alone', evaluations / plain.seconds]);
const sampled = best(5, () => sample(lr, { steps: 1_000_000 })[999_999]);
rows.push(['sample(composite, 1,000,000 steps)', 1_000_000 / sampled.seconds]);

console.log(`schedule evaluation throughput (best of 5, node ${process.version})`);
for (const [name, rate] of rows) console.log(`  ${name.padEnd(64)} ${(rate / 1e6).toFixed(1).padStart(7)} M/s`);
console.log(`  sampling 1,000,000 steps of the composite takes ${(sampled.seconds * 1e3).toFixed(1)} ms`);
const composites = Math.min(rows[0][1], rows[1][1]);
console.log(
  `  target: >= ${TARGET / 1e6} M composite evaluations/s: ${composites >= TARGET ? 'met' : 'NOT met'} (${(composites / 1e6).toFixed(1)} M/s, ${(composites / TARGET).toFixed(2)}x)`,
);
console.log(JSON.stringify({ bench: 'core-schedules', results: Object.fromEntries(rows.map(([n, r]) => [n, r])) }));
