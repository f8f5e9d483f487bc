import { StepsizeError, describeValue } from '../errors.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** A user function of the integer step. */
export type StepFunction = (step: number) => number;

function checked(fn: StepFunction, type: string): StepFunction {
  return (t) => {
    const v = fn(t);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new StepsizeError(
        `${type} options.factor(${t})`,
        `returned ${describeValue(v)}: the factor function must return a finite number >= 0`,
        v,
      );
    }
    return v;
  };
}

/** Options of {@link lambdaFactor}. */
export interface LambdaFactorOptions {
  /** The base value. Default 1 (the function gives the value itself). */
  readonly initialValue?: number;
  /** Factor at each step (finite, >= 0). */
  readonly factor: StepFunction;
}

export const lambdaFactorDefinition = defineSchedule<Required<LambdaFactorOptions>>({
  type: 'lambdaFactor',
  summary: 'value(t) = initialValue * factor(t) (PyTorch LambdaLR); code only.',
  codeOnly: true,
  options: {
    initialValue: { kind: 'number', min: 0, default: 1, description: 'the base value' },
    factor: { kind: 'function', description: 'factor at each step' },
  },
  build: ({ initialValue, factor }) => {
    const fn = checked(factor, 'lambdaFactor');
    return { value: (t) => initialValue * fn(t) };
  },
});

/**
 * A custom function of the step: `value(t) = initialValue * factor(t)`.
 *
 * Follows PyTorch `LambdaLR`. Functions are code, not data: such a schedule
 * works everywhere in code but `toJSON()` refuses it with an error that says
 * so. A factor that returns NaN, a negative or a non-number raises
 * {@link StepsizeError} naming the step.
 *
 * @example
 * ```ts
 * const lr = lambdaFactor({ initialValue: 0.1, factor: (t) => 0.95 ** t });
 * lr(2); // 0.09025
 * ```
 */
export function lambdaFactor(options: LambdaFactorOptions): Schedule {
  return createSchedule(lambdaFactorDefinition, options);
}

/** Options of {@link multiplicative}. */
export interface MultiplicativeOptions {
  /** Value at step 0. */
  readonly initialValue: number;
  /** Factor applied at step t >= 1 to the value of step t - 1 (finite, >= 0). */
  readonly factor: StepFunction;
}

/** Every `CHECKPOINT_EVERY` steps the running product is kept, so random access replays at most that many factors. */
const CHECKPOINT_EVERY = 1024;

export const multiplicativeDefinition = defineSchedule<MultiplicativeOptions>({
  type: 'multiplicative',
  summary: 'value(t) = initialValue * factor(1) * ... * factor(t) (PyTorch MultiplicativeLR); code only.',
  codeOnly: true,
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    factor: { kind: 'function', description: 'factor applied at each step t >= 1' },
  },
  build: ({ initialValue, factor }) => {
    const fn = checked(factor, 'multiplicative');
    // checkpoints[k] = value at step k * CHECKPOINT_EVERY; the running product is multiplied
    // in the same order as PyTorch, so results equal PyTorch's bit for bit.
    const checkpoints: number[] = [initialValue];
    let lastStep = 0;
    let lastValue = initialValue;
    return {
      value: (t) => {
        let step: number;
        let value: number;
        if (t >= lastStep && t - lastStep < CHECKPOINT_EVERY) {
          step = lastStep;
          value = lastValue;
        } else {
          const k = Math.min(Math.floor(t / CHECKPOINT_EVERY), checkpoints.length - 1);
          step = k * CHECKPOINT_EVERY;
          value = checkpoints[k] as number;
        }
        while (step < t) {
          step += 1;
          value *= fn(step);
          if (step % CHECKPOINT_EVERY === 0 && checkpoints.length === step / CHECKPOINT_EVERY) checkpoints.push(value);
        }
        lastStep = step;
        lastValue = value;
        return value;
      },
    };
  },
});

/**
 * A running product: `value(0) = initialValue`, `value(t) = value(t - 1) * factor(t)`.
 *
 * Follows PyTorch `MultiplicativeLR`, and reproduces it bit for bit (same
 * multiplication order). This is the one schedule that is not O(1): its
 * definition is a product over all past steps. Consecutive steps cost O(1);
 * the first visit to a far step costs one factor call per step, after which
 * products are cached every 1024 steps. For a constant factor use
 * {@link exponential}, which is closed form. Code only (functions are not JSON).
 *
 * @example
 * ```ts
 * const lr = multiplicative({ initialValue: 0.1, factor: (t) => (t % 10 === 0 ? 0.5 : 1) });
 * lr(25); // 0.025
 * ```
 */
export function multiplicative(options: MultiplicativeOptions): Schedule {
  return createSchedule(multiplicativeDefinition, options);
}
