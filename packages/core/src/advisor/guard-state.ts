import { StepsizeError } from '../errors.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { Checkpoint } from '../training/checkpoint.js';
import type {
  GuardAction,
  GuardContext,
  GuardDecision,
  GuardEvidence,
  GuardSession,
  GuardSettings,
  GuardSnapshot,
  GuardView,
} from '../training/guard.js';

/**
 * The guard's part of a checkpoint (`loop.guard`): its settings, the cuts so far, the recent
 * updates its detectors read, its actions and its snapshots (each a checkpoint without a guard
 * of its own), so a resumed run acts exactly as the run would have. Non-finite numbers are
 * written as null.
 */
export interface GuardState {
  readonly settings: GuardSettings;
  /** The run's first losses (up to 5): L0 is read from them. */
  readonly initialLosses: readonly number[];
  readonly recent: { readonly steps: readonly number[]; readonly losses: readonly number[]; readonly learningRates: readonly number[] };
  readonly sinceAction: number;
  readonly actions: readonly GuardAction[];
  readonly snapshots: readonly GuardSnapshot[];
}

const jsonNumber = (value: number): number => (Number.isFinite(value) ? value : (null as unknown as number));

const number = (value: unknown, path: string, rule: 'count' | 'positive' | 'any'): number => {
  if (rule === 'any' && value === null) return Number.NaN;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule === 'any' || (rule === 'count' ? Number.isSafeInteger(value) && value >= 0 : value > 0));
  if (!ok)
    fail(
      path,
      rule === 'count' ? 'must be an integer >= 0' : rule === 'positive' ? 'must be a finite number > 0' : 'must be a number or null',
      value,
    );
  return value as number;
};

const numbers = (value: unknown, path: string, rule: 'count' | 'any'): number[] => {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  return value.map((v: unknown, i) => number(v, `${path}[${i}]`, rule));
};

function readEvidence(value: unknown, path: string): GuardEvidence[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of { name, value }', value);
  return value.map((item: unknown, i) => {
    if (!isPlainObject(item) || typeof item.name !== 'string') fail(`${path}[${i}]`, 'must be { name, value, threshold? }', item);
    const read = { name: item.name, value: number(item.value, `${path}[${i}].value`, 'any') };
    return item.threshold === undefined ? read : { ...read, threshold: number(item.threshold, `${path}[${i}].threshold`, 'any') };
  });
}

const ACTIONS = ['rollback', 'reduce', 'stop'];
const REASONS = ['spike', 'diverging', 'plateau'];

function readAction(value: unknown, path: string): GuardAction {
  if (!isPlainObject(value)) fail(path, 'must be a guard action object', value);
  if (!ACTIONS.includes(value.action as string)) fail(`${path}.action`, `must be one of ${ACTIONS.join(', ')}`, value.action);
  if (!REASONS.includes(value.reason as string)) fail(`${path}.reason`, `must be one of ${REASONS.join(', ')}`, value.reason);
  if (typeof value.summary !== 'string') fail(`${path}.summary`, 'must be a string', value.summary);
  return {
    action: value.action as GuardAction['action'],
    reason: value.reason as GuardAction['reason'],
    step: number(value.step, `${path}.step`, 'count'),
    batches: number(value.batches, `${path}.batches`, 'count'),
    toStep: number(value.toStep, `${path}.toStep`, 'count'),
    learningRateScale: number(value.learningRateScale, `${path}.learningRateScale`, 'positive'),
    summary: value.summary,
    evidence: readEvidence(value.evidence, `${path}.evidence`),
  };
}

/**
 * Reads and checks `loop.guard` of a checkpoint (errors name `path` and the field); `context.readCheckpoint`
 * reads each snapshot's checkpoint (core's `readCheckpoint`), which must fit `params`.
 */
export function readGuardState(value: unknown, path: string, context: GuardContext): GuardState {
  const { step, params } = context;
  const readSnapshot = context.readCheckpoint;
  if (!isPlainObject(value)) fail(path, 'must be the guard state object { settings, recent, actions, snapshots, ... }', value);
  if (!isPlainObject(value.settings)) fail(`${path}.settings`, 'must be an object of numbers', value.settings);
  const settings = Object.fromEntries(
    Object.entries(value.settings).map(([key, v]) => [key, number(v, `${path}.settings.${key}`, 'any')]),
  ) as GuardSettings;
  const recent = value.recent;
  if (!isPlainObject(recent)) fail(`${path}.recent`, 'must be { steps, losses, learningRates }', recent);
  const steps = numbers(recent.steps, `${path}.recent.steps`, 'count');
  const losses = numbers(recent.losses, `${path}.recent.losses`, 'any');
  const learningRates = numbers(recent.learningRates, `${path}.recent.learningRates`, 'any');
  if (losses.length !== steps.length || learningRates.length !== steps.length) {
    fail(`${path}.recent`, `must hold as many losses and learningRates as steps (${steps.length})`, [losses.length, learningRates.length]);
  }
  if (steps.some((s, i) => s >= step || (i > 0 && s <= (steps[i - 1] as number)))) {
    fail(`${path}.recent.steps`, `must increase and stay below checkpoint.step (${step})`, steps);
  }
  if (!Array.isArray(value.actions)) fail(`${path}.actions`, 'must be an array of guard actions', value.actions);
  if (!Array.isArray(value.snapshots) || value.snapshots.length === 0)
    fail(`${path}.snapshots`, 'must be a non-empty array', value.snapshots);
  const snapshots = value.snapshots.map((snapshot: unknown, i): GuardSnapshot => {
    const where = `${path}.snapshots[${i}]`;
    if (!isPlainObject(snapshot)) fail(where, 'must be { learningRateScale, checkpoint }', snapshot);
    const checkpoint = readSnapshot(snapshot.checkpoint, `${where}.checkpoint`);
    if (checkpoint.loop.guard !== undefined)
      fail(`${where}.checkpoint.loop.guard`, 'must be absent (a snapshot holds no guard)', checkpoint.loop.guard);
    const names = Object.keys(params);
    const fits =
      Object.keys(checkpoint.params).length === names.length &&
      names.every((name) => checkpoint.params[name]?.values.length === params[name]?.values.length);
    if (!fits)
      fail(
        `${where}.checkpoint.params`,
        `must hold the checkpoint's parameters (${names.join(', ')}) with their sizes`,
        Object.keys(checkpoint.params),
      );
    if (checkpoint.step > step) fail(`${where}.checkpoint.step`, `must be at most checkpoint.step (${step})`, checkpoint.step);
    return { learningRateScale: number(snapshot.learningRateScale, `${where}.learningRateScale`, 'positive'), checkpoint };
  });
  const initialLosses = numbers(value.initialLosses, `${path}.initialLosses`, 'any');
  if (initialLosses.length > 5) fail(`${path}.initialLosses`, 'must hold at most 5 losses', initialLosses.length);
  return {
    settings,
    initialLosses,
    recent: { steps, losses, learningRates },
    sinceAction: number(value.sinceAction, `${path}.sinceAction`, 'count'),
    actions: value.actions.map((action: unknown, i) => readAction(action, `${path}.actions[${i}]`)),
    snapshots,
  };
}

/** Compares a resumed run's guard settings with the checkpoint's (a resumed run acts the same only with the same). */
export function checkGuardSettings(saved: GuardSettings, given: GuardSettings): void {
  const keys = new Set([...Object.keys(saved), ...Object.keys(given)]);
  const differ = [...keys].filter((key) => saved[key] !== given[key]);
  if (differ.length > 0) {
    throw new StepsizeError(
      'checkpoint.loop.guard.settings',
      `differ from train options.guard in ${differ.map((key) => `${key} (${saved[key]} saved, ${given[key]} given)`).join(', ')}; resume with the same guard`,
      saved,
    );
  }
}

/**
 * `lossGuard`'s session of a run: the recent updates the detectors read, L0, the snapshots
 * and the cuts so far (see `GuardSession`).
 */
export class GuardKeeper implements GuardSession {
  private readonly settings: GuardSettings;
  private readonly inspect: (view: GuardView) => GuardDecision | undefined;
  private readonly totalUpdates: number | undefined;
  private steps: number[] = [];
  private losses: number[] = [];
  private rates: number[] = [];
  private initialLosses: number[] = [];
  private sinceAction = 0;
  private snapshots: GuardSnapshot[] = [];
  readonly actions: GuardAction[] = [];

  /** The cuts so far, read off the actions (the last one's multiplier, the rollbacks and reductions counted). */
  get learningRateScale(): number {
    return this.actions[this.actions.length - 1]?.learningRateScale ?? 1;
  }

  get rollbacks(): number {
    return this.actions.filter((a) => a.action === 'rollback').length;
  }

  get reductions(): number {
    return this.actions.filter((a) => a.action === 'reduce').length;
  }

  constructor(settings: GuardSettings, inspect: (view: GuardView) => GuardDecision | undefined, saved: unknown, context: GuardContext) {
    this.settings = settings;
    this.inspect = inspect;
    this.totalUpdates = context.totalUpdates;
    if (saved === undefined) return;
    const state = readGuardState(saved, 'checkpoint.loop.guard', context);
    checkGuardSettings(state.settings, settings);
    this.steps = [...state.recent.steps];
    this.losses = [...state.recent.losses];
    this.rates = [...state.recent.learningRates];
    this.initialLosses = [...state.initialLosses];
    this.sinceAction = state.sinceAction;
    this.snapshots = [...state.snapshots];
    this.actions.push(...state.actions);
  }

  get hasSnapshot(): boolean {
    return this.snapshots.length > 0;
  }

  /** Takes in an update's loss and rate; returns the detectors' decision about it. */
  observe(step: number, loss: number, learningRate: number): GuardDecision | undefined {
    const { memory } = this.settings;
    this.steps.push(step);
    this.losses.push(loss);
    this.rates.push(learningRate);
    this.sinceAction += 1;
    if (this.steps.length > memory) {
      this.steps.shift();
      this.losses.shift();
      this.rates.shift();
    }
    if (this.initialLosses.length < 5) this.initialLosses.push(loss);
    if (!Number.isFinite(loss)) {
      return {
        action: 'rollback',
        reason: 'diverging',
        from: step,
        summary: `The loss became ${loss} at update ${step}.`,
        evidence: [{ name: 'loss', value: loss }],
      };
    }
    return this.inspect({
      steps: this.steps,
      losses: this.losses,
      learningRates: this.rates,
      initialLoss: this.initialLoss,
      sinceAction: Math.min(this.sinceAction, this.steps.length),
      totalUpdates: this.totalUpdates,
    });
  }

  /** L0 as the advisor reads it: the first loss, or the median of the first 5 when lower (undefined until one is finite). */
  private get initialLoss(): number | undefined {
    const first = this.initialLosses.filter(Number.isFinite).sort((a, b) => a - b);
    const loss = this.initialLosses[0];
    if (first.length === 0 || loss === undefined) return undefined;
    const middle = first.length >> 1;
    const median = first.length % 2 === 1 ? (first[middle] as number) : ((first[middle - 1] as number) + (first[middle] as number)) / 2;
    return Number.isFinite(loss) ? Math.min(loss, median) : median;
  }

  /** Adds a snapshot (the newest `keep` are kept besides the first). */
  addSnapshot(checkpoint: Checkpoint): void {
    this.snapshots.push({ learningRateScale: this.learningRateScale, checkpoint });
    if (this.snapshots.length > this.settings.keep + 1) this.snapshots.splice(1, 1);
  }

  /**
   * The snapshot to go back to for trouble that shows at update `from`: the newest taken at or
   * before it; but when the trouble shows before any update since the last rollback (the
   * snapshot itself is suspect), the one before that snapshot. The run's start when none is.
   */
  snapshotFor(from: number, step: number): GuardSnapshot {
    const last = this.actions[this.actions.length - 1];
    const immediate = last !== undefined && last.action === 'rollback' && last.toStep === step;
    const before = this.snapshots.filter((s) => (immediate ? s.checkpoint.step < step : s.checkpoint.step <= from));
    return (before[before.length - 1] ?? this.snapshots[0]) as GuardSnapshot;
  }

  /** The newest snapshot (where a run the guard stops ends). */
  get newest(): GuardSnapshot {
    return this.snapshots[this.snapshots.length - 1] as GuardSnapshot;
  }

  /** Records an action; a rollback also forgets what came after its snapshot. */
  acted(
    decision: Pick<GuardDecision, 'reason' | 'summary' | 'evidence'>,
    action: GuardAction['action'],
    at: { step: number; batches: number; toStep: number },
    factor: number,
  ): GuardAction {
    const learningRateScale = this.learningRateScale * factor;
    if (action !== 'reduce') {
      this.snapshots = this.snapshots.filter((s) => s.checkpoint.step <= at.toStep);
      const keep = this.steps.findIndex((s) => s >= at.toStep);
      if (keep >= 0) {
        this.steps.length = keep;
        this.losses.length = keep;
        this.rates.length = keep;
      }
    }
    this.sinceAction = 0;
    const record: GuardAction = {
      action,
      reason: decision.reason,
      ...at,
      learningRateScale,
      summary: decision.summary,
      evidence: decision.evidence.map((e) => ({ ...e, value: jsonNumber(e.value) })),
    };
    this.actions.push(record);
    return record;
  }

  /** The guard's part of a checkpoint. */
  state(): GuardState {
    return {
      settings: this.settings,
      initialLosses: this.initialLosses.map(jsonNumber),
      recent: { steps: [...this.steps], losses: this.losses.map(jsonNumber), learningRates: this.rates.map(jsonNumber) },
      sinceAction: this.sinceAction,
      actions: [...this.actions],
      snapshots: [...this.snapshots],
    };
  }
}
