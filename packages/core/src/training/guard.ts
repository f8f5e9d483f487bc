import type { Optimizer, OptimizerSpec } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { Checkpoint } from './checkpoint.js';

/** What the guard's detectors read: the recent updates of the run (the last `settings.memory`, oldest first). */
export interface GuardView {
  /** Update index of each point (`StepRecord.step`). */
  readonly steps: readonly number[];
  readonly losses: readonly number[];
  /** "The learning rate" of each point (NaN where unknown). */
  readonly learningRates: readonly number[];
  /** L0: the loss the run started from (see the advisor's `CurveProfile.initial`), once known. */
  readonly initialLoss: number | undefined;
  /** Points at the end of the view that came after the guard's last action (the detectors judge only those). */
  readonly sinceAction: number;
  /** Updates the whole run will do, when known (plateau patience defaults to a share of it). */
  readonly totalUpdates: number | undefined;
}

/** One statistic behind a guard's decision (as in the advisor's findings). */
export interface GuardEvidence {
  readonly name: string;
  readonly value: number;
  readonly threshold?: number | undefined;
}

/** What a guard's detectors decided about the latest update. */
export interface GuardDecision {
  /** `rollback`: restore the last good snapshot taken before update `from` and cut the rate; `reduce`: cut the rate where it is. */
  readonly action: 'rollback' | 'reduce';
  /** The detector that fired (the advisor's finding kinds). */
  readonly reason: 'spike' | 'diverging' | 'plateau';
  /** The first update the trouble shows in (a rollback goes to a snapshot taken before it). */
  readonly from: number;
  readonly summary: string;
  readonly evidence: readonly GuardEvidence[];
}

/** The guard's numbers (JSON data, kept in checkpoints: a resumed run must use the same). */
export interface GuardSettings {
  /** Updates between snapshots of the parameters and optimizer state. */
  readonly snapshotEvery: number;
  /** Snapshots kept (the newest ones, besides the run's start). */
  readonly keep: number;
  /** Rollbacks allowed; the next trouble stops the run at the last good snapshot. */
  readonly maxRollbacks: number;
  /** Multiplies the learning rate at each rollback. */
  readonly rollbackFactor: number;
  /** Multiplies the learning rate at each plateau reduction (0: no plateau reductions). */
  readonly plateauFactor: number;
  /** Plateau reductions allowed. */
  readonly maxReductions: number;
  /** Updates the detectors read (the view's length). */
  readonly memory: number;
  /** The detectors' own thresholds. */
  readonly [detector: string]: number;
}

/** A snapshot a guard can roll back to: a checkpoint of a good moment (without a guard of its own), and the rate multiplier in force then. */
export interface GuardSnapshot {
  readonly learningRateScale: number;
  readonly checkpoint: Checkpoint;
}

/** What `train` gives a guard when a run starts. */
export interface GuardContext {
  /** Updates done (non-zero when resuming). */
  readonly step: number;
  /** Updates the whole run will do, when known. */
  readonly totalUpdates: number | undefined;
  /** The parameters (a resumed checkpoint's), to check saved snapshots against. */
  readonly params: Readonly<Record<string, { readonly values: readonly number[] }>>;
  /** Reads a snapshot's checkpoint (core's `readCheckpoint`, its errors under `path`). */
  readonly readCheckpoint: (input: unknown, path: string) => Checkpoint;
}

/**
 * One guarded run: what `train` keeps for its guard (the recent updates the detectors read,
 * the snapshots, the cuts and actions so far). The loop asks it what to do after each update
 * and tells it what it did.
 */
export interface GuardSession {
  /** The multiplier of every learning rate in force (the product of the cuts). */
  readonly learningRateScale: number;
  readonly rollbacks: number;
  readonly reductions: number;
  readonly actions: readonly GuardAction[];
  readonly hasSnapshot: boolean;
  /** The newest snapshot (where a run the guard stops ends). */
  readonly newest: GuardSnapshot;
  /** Takes in an update's loss and rate; returns the detectors' decision about it. */
  observe(step: number, loss: number, learningRate: number): GuardDecision | undefined;
  /** Keeps a snapshot of a good moment (the newest `keep` are kept besides the run's start). */
  addSnapshot(checkpoint: Checkpoint): void;
  /** The snapshot to go back to for trouble that shows at update `from`, `step` updates done. */
  snapshotFor(from: number, step: number): GuardSnapshot;
  /** Records an action (the rate multiplied by `factor`); a rollback also forgets what came after its snapshot. */
  acted(
    decision: Pick<GuardDecision, 'reason' | 'summary' | 'evidence'>,
    action: GuardAction['action'],
    at: { readonly step: number; readonly batches: number; readonly toStep: number },
    factor: number,
  ): GuardAction;
  /** The session as JSON data, for `loop.guard` of a checkpoint. */
  state(): unknown;
}

/**
 * A guard for `train()`: detectors that read the recent losses after every update, and the
 * numbers of what to do about it. `lossGuard(options)` from `@stepsize/core/advisor` builds one
 * on the advisor's detectors.
 */
export interface TrainingGuard {
  readonly settings: GuardSettings;
  /** Starts a session, from a checkpoint's `loop.guard` when resuming (checked first: errors name `checkpoint.loop.guard...`). */
  start(saved: unknown, context: GuardContext): GuardSession;
}

/** What a guard did, in the result's `guardActions` and in every checkpoint. */
export interface GuardAction {
  /** `rollback` and `reduce` as decided; `stop`: trouble after the last allowed rollback, the run ended at the last good snapshot. */
  readonly action: 'rollback' | 'reduce' | 'stop';
  readonly reason: 'spike' | 'diverging' | 'plateau';
  /** Updates done when it acted. */
  readonly step: number;
  /** Batches drawn when it acted (a rollback draws on from here: the batches after the snapshot are not replayed). */
  readonly batches: number;
  /** The update count the run went back to (equals `step` for a reduction). */
  readonly toStep: number;
  /** The learning-rate multiplier in force after the action (the product of every cut so far). */
  readonly learningRateScale: number;
  readonly summary: string;
  readonly evidence: readonly GuardEvidence[];
}

/**
 * The optimizer with every learning rate multiplied by `factor`: the top-level `learningRate`
 * and each group's own (a number is multiplied, a schedule wrapped in core's `scale`
 * composite, so its timeline and any metric state are kept). Group `learningRateScale`s are
 * untouched: they multiply the scaled rate as before.
 *
 * @example
 * ```ts
 * scaleLearningRate(adamW({ learningRate: 0.01 }), 0.5).toJSON().learningRate; // 0.005
 * ```
 */
export function scaleLearningRate(optimizer: Optimizer | OptimizerSpec, factor: number): Optimizer {
  if (!(typeof factor === 'number' && factor > 0 && Number.isFinite(factor)))
    fail('scaleLearningRate.factor', 'must be a finite number > 0', factor);
  const spec: Record<string, unknown> = {
    ...('toJSON' in optimizer && typeof optimizer.toJSON === 'function' ? optimizer.toJSON() : optimizer),
  };
  const scaled = (rate: unknown): unknown => (typeof rate === 'number' ? rate * factor : { type: 'scale', factor, schedule: rate });
  if (spec.learningRate === undefined) fail('scaleLearningRate.optimizer', `has no learningRate (${String(spec.type)})`, spec.type);
  spec.learningRate = scaled(spec.learningRate);
  if (Array.isArray(spec.groups)) {
    spec.groups = spec.groups.map((group: Record<string, unknown>) =>
      group.learningRate === undefined ? group : { ...group, learningRate: scaled(group.learningRate) },
    );
  }
  return optimizerFromJSON(spec);
}

/** Checks a guard given to `train` (its shape and the numbers the loop uses); errors name `where`. */
export function readGuard(guard: unknown, where: string): TrainingGuard {
  const given = guard as Partial<TrainingGuard> | null;
  if (typeof given !== 'object' || given === null || typeof given.start !== 'function' || !isPlainObject(given.settings)) {
    fail(where, 'must be a guard { settings, start }, e.g. lossGuard() from @stepsize/core/advisor', guard);
  }
  return given as TrainingGuard;
}

/** What a guard's decision comes to, for a loop to carry out: see {@link planGuardAction}. */
export type GuardPlan =
  | { readonly action: 'reduce'; readonly factor: number; readonly optimizer: Optimizer }
  | { readonly action: 'rollback' | 'stop'; readonly factor: number; readonly snapshot: GuardSnapshot; readonly optimizer: Optimizer };

/**
 * The rules every guarded loop follows (`train()` and tfjs's `fitGuard`), once: a reduction
 * multiplies the current optimizer's rates by `plateauFactor` (none when it is 0 or
 * `maxReductions` were made: undefined); a rollback goes to `session.snapshotFor(from, step)`
 * with every rate at `rollbackFactor` × the cuts so far (the snapshot's optimizer rescaled
 * from the multiplier in force when it was taken); after `maxRollbacks`, a stop at the newest
 * snapshot with the rate as it is.
 *
 * @example
 * ```ts
 * const plan = planGuardAction({ session, settings: guard.settings, decision, step, optimizer });
 * ```
 */
export function planGuardAction(args: {
  readonly session: GuardSession;
  readonly settings: GuardSettings;
  readonly decision: GuardDecision;
  readonly step: number;
  readonly optimizer: Optimizer;
}): GuardPlan | undefined {
  const { session, settings, decision, step } = args;
  if (decision.action === 'reduce') {
    if (settings.plateauFactor === 0 || session.reductions >= settings.maxReductions) return undefined;
    return { action: 'reduce', factor: settings.plateauFactor, optimizer: scaleLearningRate(args.optimizer, settings.plateauFactor) };
  }
  const stop = session.rollbacks >= settings.maxRollbacks;
  const factor = stop ? 1 : settings.rollbackFactor;
  const snapshot = stop ? session.newest : session.snapshotFor(decision.from, step);
  const ratio = (session.learningRateScale * factor) / snapshot.learningRateScale;
  const spec = snapshot.checkpoint.optimizer;
  return {
    action: stop ? 'stop' : 'rollback',
    factor,
    snapshot,
    optimizer: ratio === 1 ? optimizerFromJSON(spec) : scaleLearningRate(spec, ratio),
  };
}
