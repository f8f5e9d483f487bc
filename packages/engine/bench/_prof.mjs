import { adam, OptimizerRunner } from '@stepsize/core';
import { createFastKernels } from '/work/main/packages/engine/dist/index.js';
const n = 10_000_000;
const fast = await createFastKernels({ threads: 2 });
const fill = (a, s) => {
  let x = s;
  for (let i = 0; i < a.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
};
function best(k, fn) {
  let b = Infinity;
  for (let i = 0; i < k; i++) {
    const t = process.hrtime.bigint();
    fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return b;
}
for (const nonFinite of ['throw', 'propagate']) {
  const w = fill(fast.allocate(n), 1);
  const g = fill(fast.allocate(n), 2);
  const runner = new OptimizerRunner({
    optimizer: adam({ learningRate: 1e-3, nonFinite }),
    ops: fast.ops,
    params: { w },
    kernels: fast.kernels,
  });
  runner.step({ w: g });
  const { definition, groups } = runner.optimizer;
  const o = groups[0].options;
  const hyper = definition.hyper(o, o);
  const { values } = definition.math.scalars(hyper, 10, {});
  const slots = runner.state.params.w;
  const kernel = () => fast.kernels.adam({ param: w, grad: g, slots, scalars: values, flags: hyper });
  const probe = () => (fast.ops.nonFiniteProbe ? fast.ops.nonFiniteProbe(g) : fast.ops.sum(g));
  for (let r = 0; r < 3; r++) {
    const tk = best(5, kernel),
      tr = best(5, () => runner.step({ w: g })),
      tp = best(5, probe);
    console.log(
      nonFinite,
      'kernel',
      (n / tk / 1e6).toFixed(0),
      'runner',
      (n / tr / 1e6).toFixed(0),
      'probe ms',
      (tp * 1e3).toFixed(2),
      'kernel ms',
      (tk * 1e3).toFixed(2),
      'runner ms',
      (tr * 1e3).toFixed(2),
    );
  }
  fast.release(w);
  fast.release(g);
}
await fast.close();
