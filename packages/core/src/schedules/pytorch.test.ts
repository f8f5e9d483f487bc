/**
 * Every PyTorch scheduler class, reproduced from golden trajectories generated
 * by real PyTorch (tooling/goldens/pytorch_schedules.py, Debian python3-torch).
 * Tolerance: relative 1e-9 in float64. The few cases where PyTorch's recursive
 * update differs from the closed form by design are listed in
 * KNOWN_DIFFERENCES, asserted to still differ (so the list stays true) and
 * documented in the core README.
 */
import { describe, expect, it } from 'vitest';
import {
  loadTorchFixture,
  maxRelativeError,
  momentumScheduleFor,
  scheduleFor,
  trajectory,
  type TorchCase,
} from './test-support/torch-cases.js';

const TOLERANCE = 1e-9;

/** Cases where stepsize's closed form deliberately differs from PyTorch's recursive result, and why. */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
  'ConstantLR/factor=0.5,total_iters=0':
    "PyTorch applies the factor at construction and its recursion only restores the base when last_epoch == total_iters, which never happens after step 0: the rate stays at factor * base forever. The closed form (and PyTorch's own _get_closed_form_lr) gives the base for every step >= total_iters = 0.",
  'ChainedScheduler/[LambdaLR(linearWarmup(steps=5)),ExponentialLR(gamma=0.9)]':
    'LambdaLR overwrites the shared rate with base * lambda(t) on each step, wiping out the factors other chained schedulers applied before, so PyTorch gives base * lambda(t) * 0.9 instead of the product base * lambda(t) * 0.9^t.',
  'SequentialLR/[ConstantLR(factor=0.1,total_iters=10),MultiplicativeLR(constant(value=0.9))],milestones=[5]':
    'MultiplicativeLR has no closed form, so SequentialLR cannot re-base it at its milestone: it continues from whatever rate the previous scheduler left. In stepsize every part of a sequence starts at its own step 0.',
};

const fixture = loadTorchFixture();
const classes = [...new Set(fixture.cases.map((c) => c.scheduler))];

function expectWithinTolerance(c: TorchCase, actual: number[], expected: readonly number[], what: string): void {
  const { error, step } = maxRelativeError(actual, expected);
  expect(
    error,
    `${c.name} ${what}: relative error ${error} at step ${step} (got ${actual[step]}, PyTorch ${expected[step]})`,
  ).toBeLessThanOrEqual(TOLERANCE);
}

describe(`PyTorch ${fixture.torchVersion} schedulers (golden trajectories)`, () => {
  it('cover every PyTorch scheduler class the issue names, with several cases each', () => {
    expect(classes.sort()).toEqual(
      [
        'ChainedScheduler',
        'ConstantLR',
        'CosineAnnealingLR',
        'CosineAnnealingWarmRestarts',
        'CyclicLR',
        'ExponentialLR',
        'LambdaLR',
        'LinearLR',
        'MultiStepLR',
        'MultiplicativeLR',
        'OneCycleLR',
        'PolynomialLR',
        'ReduceLROnPlateau',
        'SequentialLR',
        'StepLR',
      ].sort(),
    );
    for (const name of classes) {
      expect(fixture.cases.filter((c) => c.scheduler === name).length, name).toBeGreaterThanOrEqual(3);
    }
    for (const name of Object.keys(KNOWN_DIFFERENCES)) {
      expect(
        fixture.cases.some((c) => c.name === name),
        `known difference ${name} has a case`,
      ).toBe(true);
    }
  });

  for (const scheduler of classes) {
    describe(scheduler, () => {
      for (const c of fixture.cases.filter((x) => x.scheduler === scheduler)) {
        const difference = KNOWN_DIFFERENCES[c.name];
        it(c.name, () => {
          const actual = trajectory(scheduleFor(c, c.baseLr), c.steps, c.metrics);
          expect(actual).toHaveLength(c.lr.length);
          if (difference === undefined) {
            expectWithinTolerance(c, actual, c.lr, 'lr');
          } else {
            // Documented divergence: it must still be real, or the documentation is stale.
            expect(maxRelativeError(actual, c.lr).error).toBeGreaterThan(TOLERANCE);
          }
          const momentum = momentumScheduleFor(c);
          expect(momentum === undefined, `${c.name}: momentum recorded iff cycled`).toBe(c.momentum === undefined);
          if (momentum && c.momentum) expectWithinTolerance(c, trajectory(momentum, c.steps), c.momentum, 'momentum');
        });
      }
    });
  }

  it('resumes exactly: evaluating any step directly equals the sequential run', () => {
    for (const c of fixture.cases) {
      if (c.scheduler === 'ReduceLROnPlateau' || KNOWN_DIFFERENCES[c.name]) continue;
      const sequential = trajectory(scheduleFor(c, c.baseLr), c.steps);
      const fresh = scheduleFor(c, c.baseLr);
      for (let t = c.steps; t >= 0; t -= 1) expect(fresh(t), `${c.name} at ${t}`).toBe(sequential[t]);
    }
  });
});
