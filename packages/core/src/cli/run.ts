import { StepsizeError, sample, scheduleFromJSON } from '../index.js';
import { UsageError, parseArgs, type SampleCommand } from './args.js';
import { formatCsv, formatJson, formatTable, type SampledSchedule } from './format.js';
import { HELP_TEXT, packageVersion } from './help.js';

/** Where the CLI reads and writes: `process` streams and `fs` in production, fakes in tests. */
export interface CliIO {
  /** Receives the command's output. */
  readonly stdout: { write(chunk: string): unknown };
  /** Receives error messages. */
  readonly stderr: { write(chunk: string): unknown };
  /** Read when the spec argument is `-`. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Reads a spec file as UTF-8; rejects with a Node.js error (`code: 'ENOENT'`, ...) when it cannot. */
  readonly readFile: (path: string) => Promise<string>;
}

/** Exit status: success. */
export const EXIT_OK = 0;
/** Exit status: the spec cannot be read, parsed, built or sampled. */
export const EXIT_INPUT = 1;
/** Exit status: bad command-line arguments. */
export const EXIT_USAGE = 2;

/** The name spec errors are prefixed with when the spec comes from stdin. */
export const STDIN_NAME = '<stdin>';

/** A problem with the spec input (exit status 1); the message already names the input. */
class InputError extends Error {}

async function readStdin(stdin: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

async function readSpecText(source: string, io: CliIO): Promise<string> {
  if (source === '-') return readStdin(io.stdin);
  try {
    return await io.readFile(source);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new InputError(`${source}: no such file`);
    if (code === 'EISDIR') throw new InputError(`${source}: is a directory, not a spec file`);
    throw new InputError(`${source}: cannot read (${(error as Error).message})`);
  }
}

async function sampleCommand(command: SampleCommand, io: CliIO): Promise<string> {
  const name = command.spec === '-' ? STDIN_NAME : command.spec;
  const text = (await readSpecText(command.spec, io)).replace(/^\uFEFF/, '');
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name}: invalid JSON (${(error as Error).message})`);
  }
  let sampled: SampledSchedule;
  try {
    const schedule = scheduleFromJSON(spec);
    const { count, start, every } = command;
    const values = sample(schedule, { count, start, every });
    const steps = Array.from({ length: count }, (_, i) => start + i * every);
    sampled = { type: schedule.type, spec, steps, values };
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(`${name}: ${error.message}`);
    throw error;
  }
  switch (command.format) {
    case 'json':
      return formatJson(sampled);
    case 'csv':
      return formatCsv(sampled);
    case 'table':
      return formatTable(sampled, command);
  }
}

/**
 * Runs the `stepsize` command line: `argv` is what follows the program name
 * (`process.argv.slice(2)`). Writes the output to `io.stdout` and one-line
 * error messages, prefixed `stepsize: `, to `io.stderr`.
 *
 * Bad arguments name the argument and the bad value and point to
 * `stepsize --help`; spec problems (missing file, invalid JSON, a
 * {@link StepsizeError} with its JSON path) are prefixed by the file name
 * (`<stdin>` for `-`). Errors that are neither are bugs and are rethrown.
 *
 * @returns The exit status: {@link EXIT_OK}, {@link EXIT_INPUT} or {@link EXIT_USAGE}.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['sample', 'lr.json', '--steps', '30'], { stdout, stderr, stdin, readFile });
 * ```
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.kind === 'help') io.stdout.write(HELP_TEXT);
    else if (command.kind === 'version') io.stdout.write(`${packageVersion()}\n`);
    else io.stdout.write(await sampleCommand(command, io));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`stepsize: ${error.message}; run 'stepsize --help' for usage\n`);
      return EXIT_USAGE;
    }
    if (error instanceof InputError) {
      io.stderr.write(`stepsize: ${error.message}\n`);
      return EXIT_INPUT;
    }
    throw error;
  }
}
