import { adamW, type Checkpoint, cosineAnnealing, type MlpSpec, train, warmup } from '@stepsize/core';
import { largestRelativeDifference } from '@stepsize/conformance';
import { iris } from '@stepsize/datasets';
import { describe, expect, it } from 'vitest';
import { STACKS } from './stacks.js';

const mlp: MlpSpec = { inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 2 };
const optimizer = () =>
  adamW({
    learningRate: warmup({ steps: 4, schedule: cosineAnnealing({ initialValue: 0.02, steps: 36 }) }),
    emaDecay: 0.9,
    clipGradientNorm: 1,
  });
const { train: data, validation } = iris();
const common = { data, validation, batchSize: 12, steps: 40, seed: 7, evaluateEvery: 5 };
const AT = 20;

/** The uninterrupted run and the checkpoint at update AT, on one stack. */
async function reference(stack: string): Promise<{ losses: number[]; checkpoint: Checkpoint }> {
  let checkpoint: Checkpoint | undefined;
  const backend = await (STACKS[stack] as (typeof STACKS)[string])(mlp);
  const result = await train({
    ...common,
    backend,
    optimizer: optimizer(),
    checkpoint: {
      every: AT,
      save: (c) => {
        checkpoint ??= JSON.parse(JSON.stringify(c)) as Checkpoint;
      },
    },
  });
  await backend.dispose?.();
  return { losses: result.history.map((r) => r.loss), checkpoint: checkpoint as Checkpoint };
}

describe('a checkpoint written on one backend resumes on every other', () => {
  const names = Object.keys(STACKS);
  const runs = new Map<string, Awaited<ReturnType<typeof reference>>>();
  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      it(`${from} → ${to}`, async () => {
        if (!runs.has(from)) runs.set(from, await reference(from));
        const { losses, checkpoint } = runs.get(from) as Awaited<ReturnType<typeof reference>>;
        // Another initialisation: everything must come from the checkpoint.
        const backend = await (STACKS[to] as (typeof STACKS)[string])({ ...mlp, seed: 99 });
        const resumed = await train({ ...common, backend, resumeFrom: checkpoint });
        expect(resumed.history[0]?.step).toBe(AT);
        // The continuation follows the run that wrote the checkpoint within the backends' float32 agreement.
        const difference = largestRelativeDifference(
          resumed.history.map((r) => r.loss),
          losses.slice(AT),
        ).value;
        console.log(
          `checkpoint ${from} → ${to} at update ${AT}: largest relative loss difference after the resume ${difference.toExponential(2)}`,
        );
        expect(difference).toBeLessThan(1e-4);
        // Loading is exact: a fresh backend of the target stack reads back the checkpoint bit for bit.
        const fresh = await (STACKS[to] as (typeof STACKS)[string])({ ...mlp, seed: 5 });
        await fresh.setOptimizer(optimizer());
        await fresh.writeOptimizerState(checkpoint.optimizerState);
        await fresh.writeParameters(Object.fromEntries(Object.entries(checkpoint.params).map(([name, p]) => [name, p.values])));
        const params = await fresh.readParameters();
        for (const [name, p] of Object.entries(checkpoint.params)) expect(Array.from(params[name] as Float32Array)).toEqual(p.values);
        expect(await fresh.readOptimizerState()).toEqual(checkpoint.optimizerState);
        await backend.dispose?.();
        await fresh.dispose?.();
      });
    }
  }
});
