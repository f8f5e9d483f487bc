import { describe, expect, it } from 'vitest';
import { seededRandom } from '@stepsize/core';
import type { LossName } from './losses.js';
import { Mlp, type Activation } from './mlp.js';
import { reluBackwardInto, reluInto } from './relu.js';

/** Central finite differences in float64 around each float32 parameter. */
function checkGradients(activation: Activation, loss: LossName, width: number): void {
  const model = new Mlp({ inputSize: 3, layers: [5, 4, width], activation, seed: 7 });
  const next = seededRandom(3);
  const batch = 4;
  const inputs = Float32Array.from({ length: batch * 3 }, () => next() * 2 - 1);
  const targets =
    loss === 'softmaxCrossEntropy'
      ? Float32Array.from({ length: batch }, (_, i) => i % width)
      : Float32Array.from({ length: batch * width }, () => (loss === 'binaryCrossEntropy' ? (next() > 0.5 ? 1 : 0) : next()));
  const analytic: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(model.lossAndGradients({ inputs, targets, batch, loss }).gradients)) analytic[name] = g.slice();
  const h = 1e-2;
  for (const [name, param] of Object.entries(model.params)) {
    for (let i = 0; i < param.length; i += 1) {
      const original = param[i] as number;
      param[i] = original + h;
      const up = model.lossAndGradients({ inputs, targets, batch, loss }).loss;
      param[i] = original - h;
      const down = model.lossAndGradients({ inputs, targets, batch, loss }).loss;
      param[i] = original;
      // The float32 parameter moved by exactly fround(original ± h): divide by that distance.
      const numeric = (up - down) / (Math.fround(original + h) - Math.fround(original - h));
      expect(Math.abs((analytic[name]?.[i] as number) - numeric), `${activation}/${loss} ${name}[${i}]`).toBeLessThan(
        2e-3 * Math.max(1, Math.abs(numeric)),
      );
    }
  }
}

describe('Mlp backward pass matches finite differences', () => {
  for (const activation of ['tanh', 'sigmoid', 'relu'] as const) {
    for (const loss of ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'] as const) {
      it(`${activation} with ${loss}`, () => checkGradients(activation, loss, 3));
    }
  }
});

describe('Mlp', () => {
  it('initialises the same weights from the same seed, different ones from another seed', () => {
    const a = new Mlp({ inputSize: 4, layers: [8, 3], seed: 1 });
    const b = new Mlp({ inputSize: 4, layers: [8, 3], seed: 1 });
    const c = new Mlp({ inputSize: 4, layers: [8, 3], seed: 2 });
    expect(a.params['dense0.weight']).toEqual(b.params['dense0.weight']);
    expect(a.params['dense0.weight']).not.toEqual(c.params['dense0.weight']);
    expect(Object.keys(a.params)).toEqual(['dense0.weight', 'dense0.bias', 'dense1.weight', 'dense1.bias']);
    expect(a.shapes['dense0.weight']).toEqual([4, 8]);
  });

  it('refuses bad options and bad inputs with the argument and the value', () => {
    expect(() => new Mlp({ inputSize: 0, layers: [3] })).toThrow(/Mlp options\.inputSize must be an integer >= 1, got 0/);
    expect(() => new Mlp({ inputSize: 2, layers: [3, 2.5] })).toThrow(/layers\[1\] must be an integer >= 1, got 2\.5/);
    expect(() => new Mlp({ inputSize: 2, layers: [3], activation: 'gelu' as never })).toThrow(/activation/);
    const model = new Mlp({ inputSize: 2, layers: [3] });
    expect(() => model.predict(new Float32Array(5), 2)).toThrow(/must hold batch \* inputSize = 4 values, got 5/);
    expect(() =>
      model.lossAndGradients({ inputs: new Float32Array(2), targets: Float32Array.of(3), batch: 1, loss: 'softmaxCrossEntropy' }),
    ).toThrow(/targets\[0\] must be a class index in \[0, 2\], got 3/);
  });

  it('allocates parameters and gradients with options.allocate, and checks what it returns', () => {
    const lengths: number[] = [];
    const model = new Mlp({
      inputSize: 3,
      layers: [2],
      seed: 1,
      allocate: (length) => {
        lengths.push(length);
        return new Float32Array(length).fill(7);
      },
    });
    expect(lengths).toEqual([6, 2, 6, 2]); // weight, bias, their gradients
    expect(Array.from(model.params['dense0.bias'] as Float32Array)).toEqual([0, 0]);
    expect(new Mlp({ inputSize: 3, layers: [2], seed: 1 }).params['dense0.weight']).toEqual(model.params['dense0.weight']);
    expect(() => new Mlp({ inputSize: 3, layers: [2], allocate: (length) => new Float32Array(length + 1) })).toThrow(
      /options\.allocate must return a Float32Array of the length asked for \(6\)/,
    );
    expect(() => new Mlp({ inputSize: 3, layers: [2], allocate: 5 as unknown as () => Float32Array })).toThrow(
      /options\.allocate must be a function/,
    );
    expect(() => new Mlp({ inputSize: 3, layers: [2], matmul: 'fast' as unknown as never })).toThrow(/options\.matmul must be a function/);
  });
});

describe('the branch-free relu loops', () => {
  // The definitions they replace: relu(z) = z > 0 ? z : 0, and its slope z > 0 ? 1 : 0.
  const specials = [0, -0, 1e-45, -1e-45, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity, NaN];
  const next = seededRandom(17);
  const z = Float32Array.from([...specials, ...Array.from({ length: 1000 }, () => (next() - 0.5) * 10 ** (next() * 6 - 3))]);
  const sum = Float32Array.from(z, (_, i) => (i % 7 === 0 ? specials[i % specials.length] : next() - 0.5) as number);
  const bits = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer.slice(0)));

  it('reluInto gives z > 0 ? z : 0 bit for bit (+0 for -0, negatives, NaN and -Infinity)', () => {
    const a = new Float32Array(z.length);
    reluInto(z, a);
    // biome-ignore lint/complexity/useMathMinMax: the definition under test (Math.max(NaN, 0) is NaN, this relu gives 0)
    expect(bits(a)).toEqual(bits(Float32Array.from(z, (v) => (v > 0 ? v : 0))));
  });

  it('reluBackwardInto gives sum · (z > 0 ? 1 : 0) bit for bit', () => {
    const below = new Float32Array(z.length);
    reluBackwardInto(sum, z, below);
    expect(bits(below)).toEqual(bits(Float32Array.from(z, (v, i) => (sum[i] as number) * (v > 0 ? 1 : 0))));
  });
});
