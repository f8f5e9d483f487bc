import { type Schedule, StepsizeError, optimizerFromJSON, sample, scheduleFromJSON } from '@stepsize/core';
import { readJsonFile } from '@stepsize/core/node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, parseCommand, USAGE, UsageError } from './args.js';
import { loadDataset } from './data.js';
import { lrFind } from './lr-find.js';
import { rangeTestPlot, schedulePlot } from './plot.js';
import type { Progress } from './progress.js';
import { runDemo } from './run.js';
import { DEFAULT_OPTIMIZER, defaultSchedule, makeSetup, OPTIMIZER_PRESETS } from './setup.js';

/** Where the CLI writes. */
export interface Io {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
  readonly progress?: Progress;
}

/** Runs a spec validation; on a StepsizeError prints it with the spec's source and returns false. */
function validate(io: Io, source: string, check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (!(error instanceof StepsizeError)) throw error;
    io.error(`stepsize-demo: ${source}: ${error.message}`);
    return false;
  }
}

function readSpec(path: string, what: string): unknown {
  return readJsonFile(path, `${what} spec`);
}

/** Runs the demo's command line; returns the exit code (0 ok, 1 backends disagree, 2 bad input). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`stepsize-demo: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    io.log(USAGE);
    return 0;
  }
  try {
    if (command.kind === 'plot') {
      const spec = readSpec(command.spec, 'schedule');
      let schedule: Schedule;
      try {
        schedule = scheduleFromJSON(spec);
      } catch (error) {
        if (error instanceof StepsizeError) {
          io.error(`stepsize-demo: ${command.spec}: ${error.message}`);
          return 2;
        }
        throw error;
      }
      const values = Array.from(sample(schedule, { steps: command.steps }));
      const plot = await schedulePlot(`schedule: ${(spec as { type?: string }).type ?? ''}`, values);
      const directory = resolve(command.out);
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, 'schedule.svg'), plot.svg);
      writeFileSync(join(directory, 'schedule.png'), plot.png);
      io.log(plot.terminal);
      io.log(`Wrote ${join(directory, 'schedule.svg')} and ${join(directory, 'schedule.png')}`);
      return 0;
    }
    const preset = command.optimizer === undefined ? undefined : OPTIMIZER_PRESETS[command.optimizer];
    const optimizerSpec =
      command.optimizer === undefined
        ? { ...DEFAULT_OPTIMIZER }
        : preset
          ? { ...preset.optimizer }
          : (readSpec(command.optimizer, 'optimizer') as Record<string, unknown>);
    if (typeof optimizerSpec !== 'object' || optimizerSpec === null || Array.isArray(optimizerSpec))
      throw new StepsizeError('$', 'must be an optimizer spec object', optimizerSpec);
    if (command.kind === 'lr-find') {
      if (!validate(io, command.optimizer ?? 'default optimizer', () => optimizerFromJSON({ ...optimizerSpec, learningRate: 0.001 })))
        return 2;
      const dataset = loadDataset(command.dataset, command.seed);
      const setup = makeSetup({
        dataset,
        seed: command.seed,
        steps: command.steps,
        batchSize: command.batchSize ?? dataset.batchSize,
        scheduleSpec: { type: 'constant', value: command.minRate },
        optimizerSpec,
      });
      const result = await lrFind(command.backend, setup, command);
      const { valley, steep } = result.suggestions;
      const plot = await rangeTestPlot(result, `LR range test (${command.backend}): ${result.losses.length} updates, ${result.stopReason}`);
      const directory = resolve(command.out);
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, 'lr-find.svg'), plot.svg);
      writeFileSync(join(directory, 'lr-find.png'), plot.png);
      io.log(plot.terminal);
      io.log(
        `LR range test on ${command.backend}: ${result.losses.length} of ${command.steps} steps${result.stoppedEarly ? ' (stopped: the loss diverged)' : ''}, rates ${command.minRate} .. ${result.learningRates.at(-1)}`,
      );
      const rate = (suggestion: typeof valley, name: 'valley' | 'steep'): string =>
        suggestion ? suggestion.learningRate.toPrecision(3) : `none (${result.missingSuggestions[name]})`;
      io.log(`Suggested learning rate: ${rate(valley, 'valley')} (valley), ${rate(steep, 'steep')} (steepest descent)`);
      io.log("The model is unchanged: the test restored the backend's parameters.");
      io.log(`Plot: ${join(directory, 'lr-find.svg')} (and .png)`);
      return 0;
    }
    // The schedule: --schedule, else the optimizer spec's own learning rate, else the default.
    const dataset = loadDataset(command.dataset, command.seed);
    const scheduleSpec =
      command.schedule !== undefined
        ? readSpec(command.schedule, 'schedule')
        : (optimizerSpec.learningRate ?? (preset ?? { schedule: defaultSchedule }).schedule(dataset.peakLearningRate, command.steps));
    if (typeof scheduleSpec === 'number')
      throw new StepsizeError(
        '$.learningRate',
        'must be a schedule spec for the demo (use {"type": "constant", "value": ...} for a fixed rate)',
        scheduleSpec,
      );
    if (!validate(io, command.schedule ?? command.optimizer ?? 'default schedule', () => scheduleFromJSON(scheduleSpec))) return 2;
    if (!validate(io, command.optimizer ?? 'default optimizer', () => optimizerFromJSON({ ...optimizerSpec, learningRate: 0.001 })))
      return 2;
    const setup = makeSetup({
      dataset,
      seed: command.seed,
      steps: command.steps,
      batchSize: command.batchSize ?? dataset.batchSize,
      scheduleSpec,
      optimizerSpec,
    });
    const result = await runDemo({
      setup,
      backends: command.backends,
      out: command.out,
      log: io.log,
      ...(io.progress && { progress: io.progress }),
    });
    return result.agree ? 0 : 1;
  } catch (error) {
    if (error instanceof StepsizeError) {
      io.error(`stepsize-demo: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
