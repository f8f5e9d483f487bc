import { createFastKernels } from '/work/main/packages/engine/dist/index.js';
const fast = await createFastKernels({ threads: 2 });
const fill = (a) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() - 0.5;
  return a;
};
const [rows, depth, columns] = [128, 784, 256];
const a = fast.from(fill(new Float32Array(rows * depth))),
  b = fast.from(fill(new Float32Array(depth * columns))),
  c = fast.allocate(rows * columns + 4);
const call = () => fast.matmul({ c, a, b, rows, depth, columns, aRowStride: depth, aDepthStride: 1 });
for (let i = 0; i < 20; i++) call();
for (const pause of [0, 1, 3, 20]) {
  const ts = [[], [], []];
  for (let i = 0; i < 15; i++) {
    if (pause) await new Promise((r) => setTimeout(r, pause));
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      call();
      ts[k].push(performance.now() - t);
    }
  }
  console.log('pause', pause, ts.map((x) => x.sort((p, q) => p - q)[7].toFixed(3)).join(' '));
}
await fast.close();
