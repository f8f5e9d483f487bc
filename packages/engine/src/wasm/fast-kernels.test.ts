import { readFileSync } from 'node:fs';
import { adam, adamW, OptimizerRunner, sgd, type FusedKernel, type KernelTable, type Optimizer } from '@stepsize/core';
import { formatResults, pytorchOptimizerCases, runSuite, type ConformanceBackend } from '@stepsize/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceBackend } from '../conformance-backend.js';
import { fusedKernels } from '../kernels.js';
import { fusedReferenceMatmul, referenceMatmul } from '../model/matmul.js';
import { float32Ops } from '../ops.js';
import { createFastKernels } from './create-fast-kernels.node.js';
import { fastKernels, fastKernelsSupported, fastMemoryBytes, fusedMultiplyAddSupported, type FastKernels } from './fast-kernels.js';

import { seededRandom as random } from '@stepsize/core';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1, -1, 1e-20, 1e20];

/** Random float32 values of mixed magnitudes and signs, with special values sprinkled in. */
function values(next: () => number, n: number, specials: boolean, positive = false): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    const x = (next() - 0.5) * 10 ** (next() * 8 - 5);
    a[i] = specials && next() < 0.1 ? (SPECIAL[Math.floor(next() * SPECIAL.length)] as number) : x;
    if (positive) a[i] = Math.abs(a[i] as number);
  }
  return a;
}

/** Bit-for-bit equality, with any NaN equal to any NaN (neither JS nor WebAssembly fixes NaN payloads). */
function sameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i += 1) {
    const bothNaN = Number.isNaN(actual[i]) && Number.isNaN(expected[i]);
    if (!bothNaN && a[i] !== e[i])
      expect(`${label}[${i}] = ${actual[i]} (0x${a[i]?.toString(16)})`).toBe(`${label}[${i}] = ${expected[i]} (0x${e[i]?.toString(16)})`);
  }
}

const optimizers: Record<string, () => Optimizer> = {
  'sgd plain': () => sgd({ learningRate: 0.05 }),
  'sgd momentum': () => sgd({ learningRate: 0.01, momentum: 0.9 }),
  'sgd momentum dampening weight decay': () => sgd({ learningRate: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }),
  'sgd nesterov maximize weight decay': () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, maximize: true, weightDecay: 0.1 }),
  'adam defaults': () => adam(),
  'adam L2': () => adam({ learningRate: 0.01, weightDecay: 0.1 }),
  'adam amsgrad L2 maximize': () => adam({ learningRate: 0.01, amsgrad: true, weightDecay: 0.1, maximize: true }),
  'adamW defaults': () => adamW(),
  'adamW without weight decay': () => adamW({ weightDecay: 0 }),
  'adamW amsgrad': () => adamW({ learningRate: 0.01, weightDecay: 0.1, amsgrad: true }),
  'adam big steps': () => adam({ learningRate: 3, beta1: 0.5, beta2: 0.6, epsilon: 1e-3 }),
};

const SIZES = [1, 3, 4, 5, 17, 97, 1000, 4099, 3 * 4096 + 13];

/** The kernel's arguments at `step` for an optimizer, with fresh random state (specials included). */
function setup(make: () => Optimizer, n: number, seed: number, step: number) {
  const param = new Float32Array(n);
  const runner = new OptimizerRunner({ optimizer: make(), ops: float32Ops, params: { w: param }, kernels: fusedKernels });
  const { definition, groups } = runner.optimizer;
  const options = (groups[groups.length - 1] as { options: Record<string, unknown> }).options;
  const hyper = definition.hyper(options as never, options as never);
  const scalars = definition.math.scalars(hyper, step, {}, () => hyper).values as Record<string, number>;
  const next = random(seed);
  const specials = seed % 2 === 0;
  const slotNames = definition.math.slots(hyper as never, []) as string[];
  return {
    type: definition.type,
    hyper,
    scalars,
    param: values(next, n, specials),
    grad: values(next, n, specials),
    slots: Object.fromEntries(slotNames.map((name) => [name, values(next, n, specials, name !== 'expAvg' && name !== 'momentumBuffer')])),
  };
}

type Setup = ReturnType<typeof setup>;

/** The kernel a table has for an optimizer type (the tests iterate over types as strings). */
function kernelOf(table: KernelTable, type: string): FusedKernel<string, unknown> {
  const kernel = (table as Record<string, FusedKernel<string, unknown> | undefined>)[type];
  if (kernel === undefined) throw new Error(`no kernel for ${type}`);
  return kernel;
}

function runReference(s: Setup) {
  const param = s.param.slice();
  const slots = Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, v.slice()]));
  kernelOf(fusedKernels, s.type)({ param, grad: s.grad.slice(), slots, scalars: s.scalars, flags: s.hyper });
  return { param, slots };
}

function runWith(s: Setup, kernels: KernelTable, copy: (a: Float32Array) => Float32Array) {
  const param = copy(s.param);
  const grad = copy(s.grad);
  const slots = Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, copy(v)]));
  kernelOf(kernels, s.type)({ param, grad, slots, scalars: s.scalars, flags: s.hyper });
  expect(Array.from(grad), 'gradient untouched').toEqual(Array.from(s.grad));
  return { param, slots };
}

describe.skipIf(!fastKernelsSupported())('fast (WebAssembly SIMD) kernels equal the reference kernels bit for bit', () => {
  let fast: FastKernels;
  let single: FastKernels;
  let fixed: FastKernels;
  let emulated: FastKernels;
  beforeAll(async () => {
    single = await createFastKernels({ threads: 1, minResidentLength: 1 });
    // The float64 emulation of the multiply-adds, also where the hardware FMA (relaxed SIMD) runs.
    emulated = await createFastKernels({ threads: 1, minResidentLength: 1, fusedMultiplyAdd: false });
    fixed = await createFastKernels({ fixedMemoryBytes: 4 << 20, minResidentLength: 1 });
    // Two threads, a tiny parallel threshold and chunks, so that the worker path runs on small sizes too.
    fast = await createFastKernels({ threads: 2, minParallelLength: 8, parallelChunkLength: 16, minResidentLength: 1 });
  });
  afterAll(async () => {
    await fast.close();
    await single.close();
    await fixed.close();
    await emulated.close();
  });

  it('ships the bytes assembled from kernels.wat', async () => {
    const { assemble, render } = await import(new URL('./assemble.mjs', import.meta.url).href);
    const text = render(await assemble());
    expect(readFileSync(new URL('./kernels-wasm.ts', import.meta.url), 'utf8')).toBe(text);
  });

  for (const [name, make] of Object.entries(optimizers)) {
    it(name, () => {
      for (const n of SIZES) {
        for (const seed of [1, 2, 3, 4]) {
          const step = [1, 2, 10, 1000][seed - 1] as number;
          const s = setup(make, n, seed * 7919 + n, step);
          const expected = runReference(s);
          const variants = {
            'resident, threads': () => runWith(s, fast.kernels, (a) => fast.from(a)),
            'resident, one thread': () => runWith(s, single.kernels, (a) => single.from(a)),
            'resident, fixed ordinary memory': () => runWith(s, fixed.kernels, (a) => fixed.from(a)),
            'resident, emulated multiply-add': () => runWith(s, emulated.kernels, (a) => emulated.from(a)),
            'not resident (scratch chunks)': () => runWith(s, fastKernels, (a) => a.slice()),
            'mixed residency': () => {
              let k = 0;
              return runWith(s, fast.kernels, (a) => (k++ % 2 === 0 ? fast.from(a) : a.slice()));
            },
          };
          for (const [variant, run] of Object.entries(variants)) {
            const actual = run();
            const label = `${name} n=${n} seed=${seed} ${variant}`;
            sameBits(actual.param, expected.param, `${label} param`);
            for (const key of Object.keys(expected.slots))
              sameBits(actual.slots[key] as Float32Array, expected.slots[key] as Float32Array, `${label} ${key}`);
            for (const owner of [fast, single, fixed, emulated]) {
              owner.release(actual.param);
              for (const a of Object.values(actual.slots)) owner.release(a);
            }
          }
        }
      }
    });
  }

  it('runs whole trajectories equal to the reference (runner, resident slots via fast.ops)', () => {
    for (const [name, make] of Object.entries(optimizers)) {
      const trajectories = [fusedKernels, fast.kernels].map((kernels, index) => {
        const next = random(11);
        const n = 1003;
        const init = Float32Array.from({ length: n }, () => next() * 4 - 2);
        const w = index === 0 ? init : fast.from(init);
        const runner = new OptimizerRunner({ optimizer: make(), ops: index === 0 ? float32Ops : fast.ops, params: { w }, kernels });
        for (let step = 0; step < 25; step += 1) {
          const g = Float32Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : (next() - 0.5) * 10 ** (next() * 4 - 3)));
          runner.step({ w: index === 0 ? g : fast.from(g) });
        }
        if (index === 1)
          for (const slot of Object.values(runner.state.params.w ?? {})) expect(fast.isResident(slot as Float32Array)).toBe(true);
        return { w, slots: runner.state.params.w ?? {} };
      });
      const [reference, actual] = trajectories as [(typeof trajectories)[0], (typeof trajectories)[0]];
      sameBits(actual.w, reference.w, `${name} trajectory param`);
      for (const key of Object.keys(reference.slots))
        sameBits(actual.slots[key] as Float32Array, reference.slots[key] as Float32Array, `${name} ${key}`);
    }
  });

  it("rounds multiply-adds once, as PyTorch's CPU add(alpha=) does on float32 ties (torch_fma_ties.py)", () => {
    const fixture = JSON.parse(readFileSync(new URL('../../../core/fixtures/torch-fma-ties.json', import.meta.url), 'utf8')) as {
      cases: { a: string; b: string; c: string; single: string; double: string; add: string }[];
    };
    const bits = new DataView(new ArrayBuffer(4));
    const float = (hex: string): number => {
      bits.setUint32(0, Number.parseInt(hex, 16));
      return bits.getFloat32(0);
    };
    const ties = fixture.cases.filter((row) => row.single !== row.double);
    expect(ties.length).toBeGreaterThan(30);
    for (const owner of [fast, single, fixed, emulated]) {
      for (const row of fixture.cases) {
        const expected = new Float32Array(8).fill(float(row.add));
        const scalars = { negativeLearningRate: float(row.c), weightDecay: 0, bufferDecay: 1, gradientWeight: 1, momentum: 0 };
        // p = r(p + g·lr) (plain SGD) and, with a zero buffer, b = g then p = r(p + b·lr) (momentum).
        for (const momentum of [false, true]) {
          const param = owner.from(new Float32Array(8).fill(float(row.a)));
          const grad = owner.from(new Float32Array(8).fill(float(row.b)));
          const slots = momentum ? { momentumBuffer: owner.from(new Float32Array(8)) } : {};
          (owner.kernels.sgd as FusedKernel<string, unknown>)({ param, grad, slots, scalars, flags: {} });
          sameBits(param, expected, `fma tie ${row.a} ${row.b} ${row.c} momentum=${momentum} fused=${owner.fusedMultiplyAdd}`);
          for (const array of [param, grad, ...Object.values(slots)]) owner.release(array);
        }
      }
    }
  });

  it('uses the hardware multiply-add only where the self-check passes, and says which runs', async () => {
    expect(emulated.fusedMultiplyAdd).toBe(false);
    expect(single.fusedMultiplyAdd).toBe(fusedMultiplyAddSupported());
    // Node 20's V8 does not validate relaxed SIMD.
    if (Number(process.versions.node.split('.')[0]) === 20) expect(fusedMultiplyAddSupported()).toBe(false);
    if (fusedMultiplyAddSupported()) {
      const required = await createFastKernels({ threads: 1, fusedMultiplyAdd: true });
      expect(required.fusedMultiplyAdd).toBe(true);
      await required.close();
    } else {
      await expect(createFastKernels({ threads: 1, fusedMultiplyAdd: true })).rejects.toThrow(/options\.fusedMultiplyAdd is true/);
    }
    await expect(createFastKernels({ fusedMultiplyAdd: 'yes' as never })).rejects.toThrow(
      /options\.fusedMultiplyAdd must be true, false or undefined, got yes/,
    );
  });

  it('falls back to the reference kernels for the other optimizers', () => {
    expect(fast.kernels.lamb).toBe(fusedKernels.lamb);
    expect(fastKernels.rmsprop).toBe(fusedKernels.rmsprop);
  });

  it('finds the first non-finite value like float32Ops (SIMD scan of resident arrays)', () => {
    const next = random(5);
    for (const n of [1024, 1027, 5000, 40_003]) {
      for (const special of [NaN, Infinity, -Infinity, 3.4028235e38, -0, 1e-45]) {
        for (const at of [0, 1, 3, 4, 7, n - 5, n - 1, Math.floor(n / 2)]) {
          const plain = values(next, n, false);
          plain[at] = special;
          if (next() < 0.5) plain[Math.min(n - 1, at + 1 + Math.floor(next() * 9))] = NaN;
          const resident = fast.from(plain);
          expect(fast.ops.firstNonFinite(resident), `n=${n} at=${at} ${special}`).toBe(float32Ops.firstNonFinite(plain));
          // The runner's probe: a scan split across the threads (chunks of 16 here), NaN iff any element is not finite.
          const probe = (fast.ops.nonFiniteProbe as (x: Float32Array) => Float32Array)(resident);
          expect(Number.isNaN(probe[0]), `probe n=${n} at=${at} ${special}`).toBe(float32Ops.firstNonFinite(plain) >= 0);
          fast.release(resident);
        }
      }
    }
  });

  it('skips or refuses steps with non-finite resident gradients like the reference', () => {
    for (const nonFinite of ['skip', 'throw'] as const) {
      const outcomes = [false, true].map((useFast) => {
        const init = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i));
        const w = useFast ? fast.from(init) : init;
        const runner = new OptimizerRunner({
          optimizer: adam({ nonFinite }),
          ops: useFast ? fast.ops : float32Ops,
          params: { w },
          kernels: useFast ? fast.kernels : fusedKernels,
        });
        const g = Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i));
        g[4321] = Number.NaN;
        let error = '';
        try {
          runner.step({ w: useFast ? fast.from(g) : g });
        } catch (e) {
          error = (e as Error).message;
        }
        return { error, skipped: runner.state.skipped, w: Array.from(w) };
      });
      expect(outcomes[1]).toEqual(outcomes[0]);
      if (nonFinite === 'skip') expect(outcomes[0]?.skipped).toBe(1);
      else expect(outcomes[0]?.error).toMatch(/not finite/);
    }
  });

  it('allocates, releases and reuses shared memory', () => {
    const a = fast.allocate(100_000);
    const b = fast.allocate(10);
    expect(fast.isResident(a) && fast.isResident(b)).toBe(true);
    expect(fast.isResident(new Float32Array(4))).toBe(false);
    expect(a.every((x) => x === 0)).toBe(true);
    a.fill(3);
    fast.release(a);
    const c = fast.allocate(50_000);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(c.every((x) => x === 0)).toBe(true);
    fast.release(b);
    fast.release(c);
  });

  it('computes dense-layer products equal to referenceMatmul (fusedReferenceMatmul on the hardware FMA), split across threads', () => {
    const next = random(31);
    const array = (n: number, zeros: number): Float32Array =>
      Float32Array.from({ length: n }, () => (next() < zeros ? 0 : (next() - 0.5) * 10 ** (next() * 4 - 2)));
    for (const [rows, depth, columns] of [
      [128, 784, 256],
      [97, 61, 67],
      [784, 128, 20],
      [3, 5, 7],
    ] as [number, number, number][]) {
      for (const transposed of [false, true]) {
        const a = array(rows * depth, 0.3);
        const b = array(depth * columns, 0);
        const c = array(rows * columns, 0);
        const args = { a, b, rows, depth, columns, aRowStride: transposed ? 1 : depth, aDepthStride: transposed ? rows : 1 };
        const separate = Float32Array.from(c);
        referenceMatmul({ ...args, c: separate });
        const fused = Float32Array.from(c);
        fusedReferenceMatmul({ ...args, c: fused });
        // The two roundings differ somewhere on products this size (else the choice below proves nothing).
        if (rows * depth * columns > 10_000) expect(Array.from(fused)).not.toEqual(Array.from(separate));
        for (const [label, owner] of [
          ['threads', fast],
          ['one thread', single],
          ['fixed memory', fixed],
          ['emulated multiply-add', emulated],
        ] as const) {
          const expected = owner.fusedMultiplyAdd ? fused : separate;
          const actual = Float32Array.from(c);
          owner.matmul({ ...args, c: actual });
          sameBits(actual, expected, `${rows}x${depth}x${columns} transposed=${transposed} ${label}`);
          // Operands in the kernels' memory are used in place (c updated where it is).
          if (owner === fixed) continue;
          const resident = { c: owner.from(c), a: owner.from(a), b: owner.from(b) };
          owner.matmul({ ...args, ...resident });
          sameBits(resident.c, expected, `${rows}x${depth}x${columns} transposed=${transposed} ${label} resident`);
          sameBits(resident.a, a, 'a unchanged');
          for (const x of Object.values(resident)) owner.release(x);
        }
      }
    }
  });

  it('keeps a fixed ordinary memory: plain ArrayBuffer views, never grown, ordinary arrays once full', async () => {
    expect(fixed.fixedMemory && fixed.threads === 1 && fixed.simd).toBe(true);
    const small = await createFastKernels({ fixedMemoryBytes: 100_000, minResidentLength: 1 });
    try {
      const a = small.allocate(20_000);
      expect(a.buffer instanceof ArrayBuffer && !(a.buffer instanceof SharedArrayBuffer)).toBe(true);
      // fastMemoryBytes: whole 64-byte blocks per array; a memory of exactly that size holds them.
      expect(fastMemoryBytes([1, 16, 17, 0])).toBe(64 + 64 + 128 + 64);
      // 64000 + 1536 bytes: exactly one 64 KiB page, so an underestimate would not fit.
      const exact = await createFastKernels({ fixedMemoryBytes: fastMemoryBytes([16_000, 383]) });
      try {
        expect(fastMemoryBytes([16_000, 383])).toBe(65_536);
        for (const length of [16_000, 383]) exact.allocate(length);
        expect(() => exact.allocate(1)).toThrow(/cannot hold 1 more elements/);
      } finally {
        await exact.close();
      }
      expect(() => small.allocate(20_000)).toThrow(
        /fixed memory \(fixedMemoryBytes, 131072 bytes for arrays\) cannot hold 20000 more elements/,
      );
      // The runner's slots no longer fit: ops gives ordinary arrays, and the kernels still equal the reference.
      a.set(Float32Array.from({ length: 20_000 }, (_, i) => Math.sin(i)));
      const reference = Float32Array.from(a);
      const runners = [
        new OptimizerRunner({ optimizer: adam({ learningRate: 0.01 }), ops: small.ops, params: { w: a }, kernels: small.kernels }),
        new OptimizerRunner({ optimizer: adam({ learningRate: 0.01 }), ops: float32Ops, params: { w: reference }, kernels: fusedKernels }),
      ];
      expect(small.isResident(runners[0]?.state.params.w?.expAvg as Float32Array)).toBe(false);
      for (let step = 0; step < 5; step += 1) {
        const g = Float32Array.from({ length: 20_000 }, (_, i) => Math.cos(i * (step + 1)));
        for (const runner of runners) runner.step({ w: g });
      }
      sameBits(a, reference, 'fixed memory, slots outside');
      expect(a.length).toBe(20_000); // the memory did not grow (that would have detached `a`)
    } finally {
      await small.close();
    }
    await expect(createFastKernels({ fixedMemoryBytes: 1024, threads: 2 })).rejects.toThrow(
      /options.threads must be 1 with fixedMemoryBytes .* got 2/,
    );
    await expect(createFastKernels({ fixedMemoryBytes: -1 })).rejects.toThrow(/options.fixedMemoryBytes must be an integer .* got -1/);
    await expect(createFastKernels({ fixedMemoryBytes: 1.5 })).rejects.toThrow(/got 1.5/);
  });

  for (const [label, kernels, ops] of [
    ['fast kernels (threads, resident slots)', () => fast.kernels, () => fast.ops],
    ['fast kernels (fixed ordinary memory, resident slots)', () => fixed.kernels, () => fixed.ops],
    ['fastKernels (this thread)', () => fastKernels, () => float32Ops],
  ] as const) {
    it(`passes the conformance suite: ${label}`, async () => {
      const backend: ConformanceBackend<Float32Array> = {
        ...conformanceBackend,
        name: `engine (${label})`,
        kernels: kernels(),
        ops: ops(),
      };
      const results = await runSuite(backend, pytorchOptimizerCases());
      console.log(formatResults(backend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(40);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });
  }
});
