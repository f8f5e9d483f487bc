import {
  BatchSampler,
  type Dataset,
  type MlpSpec,
  readCheckpoint,
  sgd,
  adamW,
  train,
  type Checkpoint,
  type TrainingBackend,
  warmup,
  cosineAnnealing,
} from '@stepsize/core';
import { largestRelativeDifference, type TrainingBackendFactory } from './cross-backend.js';
import { relativeError } from './runner.js';

/** One check of {@link checkTrainingBackend}. */
export interface TrainingCheckResult {
  readonly name: string;
  readonly passed: boolean;
  /** What was measured, or why it failed. */
  readonly detail: string;
}

/** A small, deterministic classification problem: `examples` rows of 3 features, 2 classes. */
function problem(examples: number): Dataset {
  const inputs = Float32Array.from({ length: examples * 3 }, (_, i) => Math.sin(i * 1.7) + 0.1 * Math.cos(i * 0.3));
  const targets = Float32Array.from({ length: examples }, (_, i) => (Math.sin(i * 5.1) > 0 ? 1 : 0));
  return { inputs, targets, examples };
}

const MLP: MlpSpec = { inputSize: 3, layers: [6, 2], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 3 };

function equalBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Runs one check with a factory whose backends are all disposed afterwards. */
async function check(
  name: string,
  create: TrainingBackendFactory,
  body: (create: TrainingBackendFactory) => Promise<string>,
): Promise<TrainingCheckResult> {
  const made: TrainingBackend[] = [];
  const tracked: TrainingBackendFactory = async (mlp) => {
    const backend = await create(mlp);
    made.push(backend);
    return backend;
  };
  try {
    return { name, passed: true, detail: await body(tracked) };
  } catch (error) {
    return { name, passed: false, detail: (error as Error).message };
  } finally {
    for (const backend of made) await backend.dispose?.();
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/**
 * Checks that a training backend behaves as `train()` requires, on a small MLP
 * built by `create` (any adapter's factory, e.g. `(mlp) => tfjsTrainingBackend({ mlp })`):
 * - a batch with a NaN input is skipped under `nonFinite: 'skip'`, counted, and
 *   training moves on and finishes;
 * - four accumulated micro-batches give the step of one batch that concatenates
 *   them (relative difference within `tolerance`, default 1e-5);
 * - a run resumed from a JSON checkpoint ends bit for bit where the uninterrupted
 *   run ends (parameters and losses);
 * - a checkpoint of another model is refused and changes nothing.
 *
 * @example
 * ```ts
 * const results = await checkTrainingBackend({ create: (mlp) => engineTrainingBackend({ mlp }) });
 * results.every((r) => r.passed);
 * ```
 */
export async function checkTrainingBackend(args: {
  readonly create: TrainingBackendFactory;
  readonly tolerance?: number;
}): Promise<TrainingCheckResult[]> {
  const { tolerance = 1e-5 } = args;
  const results: TrainingCheckResult[] = [];

  results.push(
    await check('a non-finite batch is skipped and training finishes', args.create, async (create) => {
      const data = problem(40);
      data.inputs[7 * 3 + 1] = Number.NaN; // example 7
      const backend = await create(MLP);
      const result = await train({
        backend,
        optimizer: sgd({ learningRate: 0.1, nonFinite: 'skip' }),
        data,
        batchSize: 8,
        steps: 12,
        seed: 1,
      });
      const sampler = new BatchSampler({ data, batchSize: 8, seed: 1 });
      let expected = 0;
      for (let index = 0; index < result.batches; index += 1) if (sampler.batch(index).inputs.some(Number.isNaN)) expected += 1;
      expect(result.history.length === 12, `trained ${result.history.length} updates, expected 12`);
      expect(result.skipped === expected && expected > 0, `skipped ${result.skipped} batches, ${expected} held the NaN example`);
      const params = await backend.readParameters();
      expect(
        Object.values(params).every((values) => values.every(Number.isFinite)),
        'a parameter is not finite',
      );
      return `${result.skipped} batches skipped over ${result.batches} drawn; 12 updates`;
    }),
  );

  results.push(
    await check('four accumulated micro-batches equal one step on their concatenation', args.create, async (create) => {
      const data = problem(32);
      const sampler = new BatchSampler({ data, batchSize: 4, seed: 2 });
      const inputs = new Float32Array(16 * 3);
      const targets = new Float32Array(16);
      for (let k = 0; k < 4; k += 1) {
        const batch = sampler.batch(k);
        inputs.set(batch.inputs, k * 12);
        targets.set(batch.targets, k * 4);
      }
      const accumulated = await create(MLP);
      const micro = await train({
        backend: accumulated,
        optimizer: sgd({ learningRate: 0.5, accumulationSteps: 4 }),
        data,
        batchSize: 4,
        steps: 1,
        seed: 2,
      });
      const concatenated = await create(MLP);
      const whole = await train({
        backend: concatenated,
        optimizer: sgd({ learningRate: 0.5 }),
        data: { inputs, targets, examples: 16 },
        batchSize: 16,
        steps: 1,
      });
      expect(micro.batches === 4, `drew ${micro.batches} micro-batches, expected 4`);
      const a = await accumulated.readParameters();
      const b = await concatenated.readParameters();
      // A learning rate of 0.5 moves every weight far (a dropped or summed micro-batch shows as a
      // difference of percents); float32 sums in another order differ by about 1e-7.
      let worst = 0;
      for (const [name, values] of Object.entries(b)) {
        const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        values.forEach((v, i) => {
          worst = Math.max(worst, relativeError(a[name]?.[i] as number, v, scale));
        });
      }
      const lossDifference = largestRelativeDifference([micro.history[0]?.loss as number], [whole.history[0]?.loss as number]).value;
      expect(worst <= tolerance, `parameters differ by ${worst.toExponential(2)} (relative)`);
      expect(lossDifference <= tolerance, `losses differ by ${lossDifference.toExponential(2)}`);
      return `largest relative difference of the parameters ${worst.toExponential(2)}, of the loss ${lossDifference.toExponential(2)}`;
    }),
  );

  results.push(
    await check('a run resumed from a JSON checkpoint continues bit for bit', args.create, async (create) => {
      const data = problem(48);
      const validation = problem(16);
      const optimizer = () =>
        adamW({ learningRate: warmup({ steps: 3, schedule: cosineAnnealing({ initialValue: 0.05, steps: 27 }) }), emaDecay: 0.9 });
      const common = { data, validation, batchSize: 8, steps: 30, seed: 4, evaluateEvery: 4 };
      const full = await create(MLP);
      const uninterrupted = await train({ ...common, backend: full, optimizer: optimizer() });
      let saved = '';
      await train({
        ...common,
        steps: 18,
        backend: await create(MLP),
        optimizer: optimizer(),
        checkpoint: {
          every: 9,
          save: (c: Checkpoint) => {
            saved = JSON.stringify(c);
          },
        },
      });
      const resumedBackend = await create({ ...MLP, seed: 99 });
      const resumed = await train({ ...common, backend: resumedBackend, resumeFrom: saved });
      const losses = resumed.history.map((r) => r.loss);
      expect(
        equalBits(
          losses,
          uninterrupted.history.slice(18).map((r) => r.loss),
        ),
        'the resumed losses differ',
      );
      const a = await full.readParameters();
      const b = await resumedBackend.readParameters();
      for (const [name, values] of Object.entries(a))
        expect(equalBits(values, b[name] as Float32Array), `${name} differs after the resume`);
      return `resumed at update ${readCheckpoint(saved).step} of 30`;
    }),
  );

  results.push(
    await check('a checkpoint of another model is refused and changes nothing', args.create, async (create) => {
      const data = problem(24);
      let saved: Checkpoint | undefined;
      await train({
        backend: await create(MLP),
        optimizer: sgd({ learningRate: 0.1 }),
        data,
        batchSize: 8,
        steps: 3,
        checkpoint: {
          every: 3,
          save: (c) => {
            saved = c;
          },
        },
      });
      const other = await create({ ...MLP, layers: [5, 2] });
      const before = await other.readParameters();
      let message = '';
      try {
        await train({ backend: other, data, batchSize: 8, steps: 6, resumeFrom: saved });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(/checkpoint\.params do not fit/.test(message), `expected a checkpoint.params error, got ${JSON.stringify(message)}`);
      const after = await other.readParameters();
      for (const [name, values] of Object.entries(before)) expect(equalBits(values, after[name] as Float32Array), `${name} changed`);
      return message;
    }),
  );
  return results;
}
