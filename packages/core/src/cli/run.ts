import { StepsizeError, sample, scheduleFromJSON } from '../index.js';
import { UsageError, parseArgs, type SampleCommand } from './args.js';
import { formatCsv, formatJson, formatTable, type SampledSchedule } from './format.js';
import { HELP_TEXT, packageVersion } from './help.js';
import { InputError, readInputText } from './input.js';
import { OutputError, OutputWriter, type OutputStream } from './output.js';
import { diagnoseOutput } from './diagnose-run.js';
import type { DiagnoseCommand } from './diagnose-args.js';
import type { LrFindCommand } from './lr-find-args.js';
import { lrFindOutput } from './lr-find-run.js';

/** Where the CLI reads and writes: `process` streams and `fs` in production, fakes in tests. */
export interface CliIO {
  /**
   * Receives the command's output, streamed in chunks with backpressure.
   * Write errors reach {@link run} through the write callbacks; a Node.js
   * stream also emits them as `'error'`, so it needs an `'error'` listener
   * (main.ts adds one to `process.stdout`).
   */
  readonly stdout: OutputStream;
  /** Receives error messages. */
  readonly stderr: { write(chunk: string): unknown };
  /** Read when the spec argument is `-`. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Reads a spec file as UTF-8; rejects with a Node.js error (`code: 'ENOENT'`, ...) when it cannot. */
  readonly readFile: (path: string) => Promise<string>;
  /** Writes a file (the `diagnose` report as UTF-8, the `lr-find` plot), replacing it whole or not at all; without it no report or plot can be written. */
  readonly writeFile?: ((path: string, content: string | Uint8Array) => Promise<void>) | undefined;
  /** The directory relative paths and `lr-find`'s packages are resolved from. Default `process.cwd()`. */
  readonly cwd?: string | undefined;
  /** Imports a package for `lr-find` (an adapter, @stepsize/plot). Default: resolved from `cwd`, else from @stepsize/core's place. */
  readonly load?: ((specifier: string) => Promise<Record<string, unknown>>) | undefined;
}

/** Exit status: success. */
export const EXIT_OK = 0;
/** Exit status: the spec cannot be read, parsed, built or sampled. */
export const EXIT_INPUT = 1;
/**
 * Exit status: the output cannot be written (`ENOSPC`, ...). The same status
 * as {@link EXIT_INPUT}. A closed pipe (`EPIPE`, e.g. `stepsize ... | head`)
 * is not an error: the reader has what it wanted, so the CLI stops quietly
 * with {@link EXIT_OK}.
 */
export const EXIT_OUTPUT = 1;
/** Exit status: bad command-line arguments. */
export const EXIT_USAGE = 2;

/** The name spec errors are prefixed with when the spec comes from stdin. */
export const STDIN_NAME = '<stdin>';

/** Reads, builds and samples the spec; every value is computed (and checked) before anything is printed. */
async function sampleSchedule(command: SampleCommand, io: CliIO): Promise<SampledSchedule> {
  const name = command.spec === '-' ? STDIN_NAME : command.spec;
  const text = (await readInputText(command.spec, io)).replace(/^\uFEFF/, '');
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name}: invalid JSON (${(error as Error).message})`);
  }
  try {
    const schedule = scheduleFromJSON(spec);
    const { steps, start, every } = command;
    const values = sample(schedule, { steps, start, every });
    return { type: schedule.type, spec, start, every, values };
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(`${name}: ${error.message}`);
    throw error;
  }
}

/** The output of a sample command, in pieces. */
function formatSample(sampled: SampledSchedule, command: SampleCommand): Iterable<string> {
  switch (command.format) {
    case 'json':
      return formatJson(sampled, command);
    case 'csv':
      return formatCsv(sampled, command);
    case 'table':
      return formatTable(sampled, command);
  }
}

/** Streams `pieces` to stdout, waiting whenever the stream asks to. */
async function writeAll(pieces: Iterable<string>, io: CliIO): Promise<void> {
  const writer = new OutputWriter(io.stdout);
  for (const piece of pieces) await writer.write(piece);
  await writer.end();
}

/**
 * Runs the `stepsize` command line: `argv` is what follows the program name
 * (`process.argv.slice(2)`). Streams the output to `io.stdout` and one-line
 * error messages, prefixed `stepsize: `, to `io.stderr`.
 *
 * Bad arguments are all reported, one line each naming the argument and the
 * bad value, the last pointing to `stepsize --help`; spec problems (missing file, invalid JSON, a
 * {@link StepsizeError} with its JSON path) are prefixed by the file name
 * (`<stdin>` for `-`); a write error is `cannot write output: <system
 * message>`, except a closed pipe (`EPIPE`), which ends the output quietly.
 * Other errors are bugs and are rethrown.
 *
 * @returns The exit status: {@link EXIT_OK}, {@link EXIT_INPUT}, {@link EXIT_OUTPUT} or {@link EXIT_USAGE}.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['sample', 'lr.json', '--steps', '30'], { stdout, stderr, stdin, readFile });
 * ```
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.kind === 'help') await writeAll([HELP_TEXT], io);
    else if (command.kind === 'version') await writeAll([`${packageVersion()}\n`], io);
    else if (command.kind === 'diagnose') await writeAll(await diagnoseOutput(command as DiagnoseCommand, io), io);
    else if (command.kind === 'lr-find') await writeAll(await lrFindOutput(command as LrFindCommand, io), io);
    else await writeAll(formatSample(await sampleSchedule(command, io), command), io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      const lines = error.problems.map((problem) => `stepsize: ${problem}`);
      io.stderr.write(`${lines.join('\n')}; run 'stepsize --help' for usage\n`);
      return EXIT_USAGE;
    }
    if (error instanceof OutputError) {
      if (error.code === 'EPIPE') return EXIT_OK;
      io.stderr.write(`stepsize: cannot write output: ${error.message}\n`);
      return EXIT_OUTPUT;
    }
    if (error instanceof InputError) {
      io.stderr.write(`stepsize: ${error.message}\n`);
      return EXIT_INPUT;
    }
    throw error;
  }
}
