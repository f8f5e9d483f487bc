import { diagnose, type Diagnosis } from '../advisor/diagnose.js';
import { StepsizeError } from '../errors.js';
import { scheduleFromJSON } from '../schedules/spec.js';
import { renderChart } from './chart.js';
import type { DiagnoseCommand } from './diagnose-args.js';
import { renderDiagnosisReport } from './diagnose-report.js';
import { InputError, readInputText } from './input.js';
import type { CliIO } from './run.js';

const STDIN = '<stdin>';
const short = (value: number): string => String(Number(value.toPrecision(4)));

/** Reads the history (and the schedule spec, when given) and diagnoses it; problems are {@link InputError}s naming the file. */
async function readDiagnosis(command: DiagnoseCommand, io: CliIO): Promise<Diagnosis> {
  const name = command.history === '-' ? STDIN : command.history;
  const text = (await readInputText(command.history, io)).replace(/^\uFEFF/, '');
  let schedule: unknown;
  if (command.schedule !== undefined) {
    const scheduleName = command.schedule === '-' ? STDIN : command.schedule;
    const scheduleText = (await readInputText(command.schedule, io)).replace(/^\uFEFF/, '');
    try {
      schedule = scheduleFromJSON(scheduleText).toJSON();
    } catch (error) {
      if (error instanceof StepsizeError) throw new InputError(`${scheduleName}: ${error.message}`);
      throw error;
    }
  }
  try {
    return diagnose(text, schedule === undefined ? undefined : { schedule: schedule as never });
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(`${name}: ${error.message}`);
    throw error;
  }
}

/** The findings as text: a header, the loss chart, then each finding with its evidence and recommendation. */
export function formatDiagnosis(diagnosis: Diagnosis, command: DiagnoseCommand): string[] {
  const { history, findings, statistics } = diagnosis;
  const name = command.history === '-' ? STDIN : command.history;
  const first = history.steps[0] as number;
  const last = history.steps[history.steps.length - 1] as number;
  const lines = [
    `${name}: ${history.steps.length} training losses (steps ${first}..${last}), ${history.validation.steps.length} validation losses${history.learningRates === undefined ? '' : ', learning rates'}${history.gradientNorms === undefined ? '' : ', gradient norms'}`,
    `loss ${short(statistics.initialLevel)} at the start, lowest level ${short(statistics.minimumLevel)}, ${short(statistics.finalLevel)} at the end (rolling median over ${statistics.window} points)`,
  ];
  const blowUp = history.losses.findIndex((loss) => !Number.isFinite(loss));
  const finite = history.losses.slice(0, blowUp === -1 ? history.losses.length : blowUp);
  if (command.chart && finite.length >= 2) {
    const lastStep = history.steps[finite.length - 1] as number;
    const title =
      blowUp === -1
        ? 'training loss:'
        : `training loss (until step ${lastStep}; it is ${String(history.losses[blowUp])} at step ${history.steps[blowUp]}):`;
    lines.push(
      '',
      title,
      ...renderChart(finite, { width: command.width, height: command.height, firstStep: first, lastStep, ascii: command.ascii }),
    );
  }
  findings.forEach((finding, i) => {
    lines.push(
      '',
      `${i + 1}. ${finding.kind} (${finding.severity}), steps ${finding.steps.from}..${finding.steps.to}`,
      `   ${finding.summary}`,
    );
    for (const e of finding.evidence) {
      lines.push(`   - ${e.name} = ${short(e.value)}${e.threshold === undefined ? '' : ` (threshold ${e.threshold})`}: ${e.description}`);
    }
    lines.push(`   => ${finding.recommendation.text}`);
    if (finding.recommendation.changes.length > 0) lines.push(`   changes: ${JSON.stringify(finding.recommendation.changes)}`);
    if (finding.recommendation.schedule !== undefined) lines.push(`   schedule: ${JSON.stringify(finding.recommendation.schedule)}`);
  });
  return lines;
}

/**
 * `stepsize diagnose`: reads the history, diagnoses it, writes the HTML report (when one is
 * asked for) and returns the output to print. Everything is read and checked before anything is written.
 */
export async function diagnoseOutput(command: DiagnoseCommand, io: CliIO): Promise<string[]> {
  const diagnosis = await readDiagnosis(command, io);
  const name = command.history === '-' ? STDIN : command.history;
  if (command.report !== undefined) {
    if (io.writeFile === undefined) throw new InputError(`cannot write the report ${command.report}: no file system`);
    try {
      await io.writeFile(command.report, renderDiagnosisReport(diagnosis, name));
    } catch (error) {
      throw new InputError(`cannot write the report ${command.report}: ${(error as Error).message}`);
    }
  }
  if (command.format === 'json') {
    const { findings, statistics } = diagnosis;
    return [
      `${JSON.stringify({ findings, statistics, report: command.report ?? null }, (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2)}\n`,
    ];
  }
  const lines = formatDiagnosis(diagnosis, command);
  if (command.report !== undefined) lines.push('', `report: ${command.report}`);
  return [`${lines.join('\n')}\n`];
}
