import { adam, adamW, cosineAnnealing, nadam, OptimizerRunner, sgd, StepsizeError, warmup, type Optimizer } from '@stepsize/core';
import { float32Ops, fusedKernels } from '@stepsize/engine';
import { describe, expect, it } from 'vitest';
import { ParameterUpdater, type UpdatePath } from './parameter-updater.js';

const params = () => ({
  w: { values: Float32Array.from({ length: 6 }, (_, i) => 0.1 * (i - 2)), shape: [2, 3] },
  b: { values: Float32Array.of(0.5, -0.5, 0), shape: [3] },
});
const gradients = (step: number) => ({
  w: Float32Array.from({ length: 6 }, (_, i) => Math.sin(step + i)),
  b: Float32Array.from({ length: 3 }, (_, i) => Math.cos(step * 2 + i)),
});

async function run(optimizer: () => Optimizer, path: UpdatePath, steps: number): Promise<ParameterUpdater> {
  const updater = await ParameterUpdater.create({ optimizer: optimizer(), params: params(), path });
  for (let step = 0; step < steps; step += 1) await updater.step(gradients(step));
  return updater;
}

const close = (a: Float32Array, b: Float32Array): void => {
  a.forEach((v, i) => {
    expect(Math.abs(v - (b[i] as number))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i] as number)));
  });
};

describe('ParameterUpdater', () => {
  it('builds one update graph for a scheduled optimizer and feeds the schedule as an input', async () => {
    const optimizer = () =>
      adamW({ learningRate: warmup({ steps: 5, schedule: cosineAnnealing({ initialValue: 0.05, steps: 20 }) }), weightDecay: 0.1 });
    const graph = await run(optimizer, 'onnx', 25);
    const kernels = await run(optimizer, 'engine', 25);
    expect(graph.graphCount).toBe(1);
    close(graph.values('w'), kernels.values('w'));
    close(graph.values('b'), kernels.values('b'));
    expect(graph.state.step).toBe(25);
    close(graph.state.params.w?.expAvgSq as Float32Array, kernels.state.params.w?.expAvgSq as Float32Array);
    await graph.dispose();
  });

  it('runs accumulation, clipping, EMA and host state (NAdam) in the graph', async () => {
    const optimizer = () => nadam({ learningRate: 0.01, accumulationSteps: 2, clipGradientNorm: 0.5, emaDecay: 0.9 });
    const graph = await run(optimizer, 'onnx', 12);
    const kernels = await run(optimizer, 'engine', 12);
    // One graph per step structure: the first micro-step of a cycle and the update that ends it.
    expect(graph.graphCount).toBe(2);
    expect(graph.state.step).toBe(6);
    expect(graph.state.groups).toEqual(kernels.state.groups);
    close(graph.values('w'), kernels.values('w'));
    close(graph.state.ema.w as Float32Array, kernels.state.ema.w as Float32Array);
    await graph.dispose();
  });

  for (const path of ['onnx', 'engine'] as const) {
    it(`${path}: a non-finite gradient throws naming the parameter and changes nothing, or is skipped`, async () => {
      const updater = await run(() => adam({ learningRate: 0.1 }), path, 3);
      const before = { w: Float32Array.from(updater.values('w')), m: Float32Array.from(updater.state.params.w?.expAvg as Float32Array) };
      const bad = gradients(3);
      (bad.b as Float32Array)[2] = Number.NaN;
      await expect(updater.step(bad)).rejects.toThrow(/gradients\.b\[2\] is not finite/);
      expect(updater.values('w')).toEqual(before.w);
      expect(updater.state.params.w?.expAvg).toEqual(before.m);
      expect(updater.state.step).toBe(3);
      const skipping = await run(() => adam({ learningRate: 0.1, nonFinite: 'skip' }), path, 3);
      const w = Float32Array.from(skipping.values('w'));
      expect((await skipping.step(bad)).outcome).toBe('skipped');
      expect(skipping.values('w')).toEqual(w);
      expect(skipping.state).toMatchObject({ step: 3, skipped: 1 });
      expect((await skipping.step(gradients(4))).outcome).toBe('updated');
      expect(skipping.state.step).toBe(4);
    });

    it(`${path}: refuses a second step while one is running, and bad gradients`, async () => {
      const updater = await ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: params(), path });
      const first = updater.step(gradients(0));
      if (path === 'onnx') await expect(updater.step(gradients(1))).rejects.toThrow(/still running/);
      await first;
      await expect(updater.step({ w: new Float32Array(5), b: new Float32Array(3) })).rejects.toThrow(
        /gradients\.w must have 6 elements like the parameter/,
      );
      await expect(updater.step({ w: new Float32Array(6) })).rejects.toThrow(/gradients\.b is missing/);
      await expect(updater.step({ ...gradients(0), c: new Float32Array(1) })).rejects.toThrow(/gradients\.c is not a parameter/);
    });

    it(`${path}: load restores parameters and state, and a state that does not fit changes nothing`, async () => {
      const optimizer = () => adam({ learningRate: 0.05 });
      const reference = await run(optimizer, path, 6);
      const first = await run(optimizer, path, 3);
      const snapshot = structuredClone({ params: { w: first.values('w'), b: first.values('b') }, state: first.state });
      const resumed = await ParameterUpdater.create({ optimizer: optimizer(), params: params(), path });
      const broken = { ...structuredClone(snapshot.state), params: { ...snapshot.state.params, w: { expAvg: new Float32Array(6) } } };
      expect(() => resumed.load({ params: snapshot.params, state: broken })).toThrow(/state\.params\.w\.expAvgSq is missing/);
      expect(resumed.state.step).toBe(0);
      expect(resumed.values('w')).toEqual(params().w.values);
      resumed.load({ params: snapshot.params, state: snapshot.state });
      for (let step = 3; step < 6; step += 1) await resumed.step(gradients(step));
      expect(resumed.values('w')).toEqual(reference.values('w'));
      expect(resumed.values('b')).toEqual(reference.values('b'));
    });
  }

  it('engine: keeps parameters, gradient buffers and slots in the kernels memory, equal bit for bit to the reference kernels', async () => {
    const sizes = { w: 1003, b: 37 };
    const init = () =>
      Object.fromEntries(
        Object.entries(sizes).map(([name, n]) => [
          name,
          { values: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7)), shape: [n] },
        ]),
      );
    const grad = (step: number) =>
      Object.fromEntries(
        Object.entries(sizes).map(([name, n]) => [name, Float32Array.from({ length: n }, (_, i) => Math.cos(i + step) * 0.1)]),
      );
    for (const optimizer of [
      () => adamW({ learningRate: warmup({ steps: 3, schedule: cosineAnnealing({ initialValue: 0.01, steps: 20 }) }) }),
      () => sgd({ learningRate: 0.05, momentum: 0.9 }),
      () => nadam({ learningRate: 0.01, emaDecay: 0.9 }),
    ]) {
      const updater = await ParameterUpdater.create({ optimizer: optimizer(), params: init(), path: 'engine' });
      const reference = new OptimizerRunner({
        optimizer: optimizer(),
        ops: float32Ops,
        params: Object.fromEntries(Object.entries(init()).map(([k, v]) => [k, v.values])),
        kernels: fusedKernels,
      });
      const buffers = updater.gradientBuffers as Record<string, Float32Array>;
      expect(Object.keys(buffers)).toEqual(['w', 'b']);
      // An ordinary ArrayBuffer (onnxruntime-node refuses SharedArrayBuffer views), shared by values and buffers.
      expect(updater.values('w').buffer).toBe(buffers.w?.buffer);
      expect(updater.values('w').buffer instanceof SharedArrayBuffer).toBe(false);
      for (let step = 0; step < 12; step += 1) {
        const g = grad(step);
        for (const [name, values] of Object.entries(g)) buffers[name]?.set(values);
        await updater.step(buffers);
        reference.step(g);
      }
      for (const name of Object.keys(sizes)) {
        expect(updater.values(name)).toEqual(reference.params[name]);
        expect(updater.state.params[name]).toEqual(reference.state.params[name]);
      }
      expect(updater.state.ema).toEqual(reference.state.ema);
      await updater.dispose();
    }
  });

  it('engine: load copies the state into its memory, also from its own live arrays', async () => {
    const n = 777;
    const init = () => ({ w: { values: Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape: [n] } });
    const grad = (step: number) => ({ w: Float32Array.from({ length: n }, (_, i) => Math.cos(i * step) * 0.1) });
    const optimizer = () => adam({ learningRate: 0.01 });
    const reference = await ParameterUpdater.create({ optimizer: optimizer(), params: init(), path: 'engine' });
    for (let step = 0; step < 8; step += 1) await reference.step(grad(step));
    const updater = await ParameterUpdater.create({ optimizer: optimizer(), params: init(), path: 'engine' });
    for (let step = 0; step < 4; step += 1) await updater.step(grad(step));
    // Loading its own live state: the values must survive the old arrays being released;
    // what load leaves out (the state here, then the parameters) stays as it was.
    updater.load({ params: { w: updater.values('w') }, state: updater.state });
    const kept = structuredClone({ params: { w: updater.values('w') }, state: updater.state });
    updater.load({ params: { w: updater.values('w') } });
    updater.load({ state: updater.state });
    updater.load({});
    expect({ params: { w: updater.values('w') }, state: updater.state }).toEqual(kept);
    const saved = structuredClone({ params: { w: updater.values('w') }, state: updater.state });
    const given = structuredClone(saved);
    const other = await ParameterUpdater.create({ optimizer: optimizer(), params: init(), path: 'engine' });
    other.load({ params: given.params, state: given.state });
    for (let step = 4; step < 8; step += 1) {
      await updater.step(grad(step));
      await other.step(grad(step));
    }
    expect(updater.values('w')).toEqual(reference.values('w'));
    expect(other.values('w')).toEqual(reference.values('w'));
    expect(other.state.params.w).toEqual(reference.state.params.w);
    // The caller's arrays were copied, not adopted: later steps left them as they were.
    expect(given).toEqual(saved);
    for (const u of [reference, updater, other]) await u.dispose();
  });

  for (const path of ['onnx', 'engine'] as const) {
    it(`${path}: refuses initial parameters that are not finite, naming the element and its value`, async () => {
      for (const [index, value] of [
        [1, Number.NaN],
        [0, Number.POSITIVE_INFINITY],
        [5, Number.NEGATIVE_INFINITY],
      ] as const) {
        const given = params();
        given.w.values[index] = value;
        const error = await ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: given, path }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StepsizeError);
        expect((error as StepsizeError).path).toBe(`ParameterUpdater options.params.w.values[${index}]`);
        expect((error as StepsizeError).message).toMatch(new RegExp(`values\\[${index}\\] must be finite, got ${value}`));
        expect((error as StepsizeError).value).toBe(value);
      }
    });

    it(`${path}: parameter names are data: "constructor" and "toString" train as "w" and "b" do, "__proto__" is refused`, async () => {
      /** The same parameters and gradients under other names. */
      const renamed = <T>(record: Readonly<Record<string, T>>, names: Readonly<Record<string, string>>): Record<string, T> =>
        Object.fromEntries(Object.entries(record).map(([name, value]) => [names[name] as string, value]));
      const names = { w: 'constructor', b: 'toString' };
      const optimizer = () => adamW({ learningRate: 0.05, weightDecay: 0.1, clipGradientNorm: 1, emaDecay: 0.9 });
      const reference = await run(optimizer, path, 4);
      const updater = await ParameterUpdater.create({ optimizer: optimizer(), params: renamed(params(), names), path });
      for (let step = 0; step < 4; step += 1) await updater.step(renamed(gradients(step), names));
      expect(updater.names).toEqual(['constructor', 'toString']);
      expect(updater.values('constructor')).toEqual(reference.values('w'));
      expect(updater.values('toString')).toEqual(reference.values('b'));
      expect(updater.state.params.constructor).toEqual(reference.state.params.w);
      // Only own names count: a gradient or a parameter that is not given is missing, whatever its name.
      const only = await ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: params(), path });
      expect(() => only.values('toString')).toThrow(/ParameterUpdater\.values\("toString"\) names no parameter \(w, b\)/);
      await expect(only.step({ ...gradients(0), toString: new Float32Array(3) })).rejects.toThrow(
        /^gradients\.toString is not a parameter/,
      );
      const lone = await ParameterUpdater.create({
        optimizer: sgd({ learningRate: 0.1 }),
        params: { constructor: { values: new Float32Array(1), shape: [1] } },
        path,
      });
      await expect(lone.step({})).rejects.toThrow(/^gradients\.constructor is missing/);
      expect(() => lone.load({ params: {} })).toThrow(/^params\.constructor is missing/);
      // "__proto__" as an own key (a computed key, or JSON.parse): refused by name, not "no group [object Object]".
      const proto = { ['__proto__']: { values: new Float32Array(2), shape: [2] } };
      expect(Object.keys(proto)).toEqual(['__proto__']);
      const error = await ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: proto, path }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepsizeError);
      expect((error as StepsizeError).path).toBe('ParameterUpdater options.params.__proto__');
      expect((error as StepsizeError).message).toMatch(/is a parameter name stepsize cannot train: .*rename the parameter/);
      for (const u of [reference, updater, only, lone]) await u.dispose();
    });
  }

  it('names bad parameters and paths', async () => {
    await expect(
      ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: { w: { values: new Float32Array(3), shape: [2, 2] } } }),
    ).rejects.toThrow(/params\.w\.shape/);
    await expect(
      ParameterUpdater.create({
        optimizer: sgd({ learningRate: 0.1 }),
        params: { w: { values: [1] as unknown as Float32Array, shape: [1] } },
      }),
    ).rejects.toThrow(/params\.w\.values must be a Float32Array/);
    // An array of { name, shape } (what buildMlpTrainingModel returned before it returned a record by name).
    await expect(
      ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: [{ name: 'w', shape: [1] }] as never }),
    ).rejects.toThrow(/options\.params must be the parameters as \{ name: \{ values, shape \} \}, got an array/);
    await expect(
      ParameterUpdater.create({ optimizer: sgd({ learningRate: 0.1 }), params: params(), path: 'gpu' as UpdatePath }),
    ).rejects.toThrow(/options\.path must be "onnx" or "engine"/);
  });
});
