import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { StepsizeError } from '../errors.js';
import { removeStaleTemporaries, type TemporaryFileSystem, temporaryPathFor } from './temporary-files.js';

/**
 * The `node:fs` functions {@link writeJsonFileAtomic} calls.
 *
 * @internal A test seam (to simulate a full disk or a crash), not a supported API: it may change in any release.
 */
export interface JsonFileSystem extends TemporaryFileSystem {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

/** Options of {@link writeJsonFileAtomic}. */
export interface WriteJsonFileOptions {
  /** What the file is, for error messages (`'checkpoint'`); default `'JSON file'`. */
  what?: string;
  /** @internal Replaces the `node:fs` functions (tests only); default `node:fs`. */
  fileSystem?: JsonFileSystem;
}

const nodeFileSystem: JsonFileSystem = { openSync, writeSync, fsyncSync, closeSync, renameSync, readdirSync, lstatSync, unlinkSync };

/**
 * Writes `value` as JSON to `path` atomically: the JSON is produced first (a
 * value that cannot be serialized fails before the disk is touched), written
 * to a temporary file beside the target (`<path>.tmp-<pid>-<random>`) until
 * every byte is written (short writes are continued), flushed to disk, then
 * renamed over the target, and the directory is flushed where the platform
 * allows. A crash at any moment leaves either the previous file or the new
 * one, never a truncated mix. Used for checkpoints.
 *
 * Any failure (a missing or read-only directory, a full disk, a file size
 * limit) throws a {@link StepsizeError} that names `path` (prefixed by
 * `options.what`, default `'JSON file'`), the step that failed and the errno
 * code, with the original error as `cause`; the temporary is removed and the
 * previous file is left unchanged. Each write first removes the temporaries
 * of `path` that killed writers left behind (those of dead processes, or
 * unmodified for 24 hours); a live writer's temporary is kept.
 *
 * @example
 * ```ts
 * import { writeJsonFileAtomic } from '@stepsize/core/node';
 * writeJsonFileAtomic('run.checkpoint.json', checkpoint, { what: 'checkpoint' });
 * ```
 */
export function writeJsonFileAtomic(path: string, value: unknown, options: WriteJsonFileOptions = {}): void {
  if (typeof path !== 'string' || path.length === 0)
    throw new StepsizeError('writeJsonFileAtomic path', 'must be a non-empty file path', path);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new StepsizeError('writeJsonFileAtomic value', `cannot be written as JSON: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  if (text === undefined) throw new StepsizeError('writeJsonFileAtomic value', 'cannot be written as JSON', value);
  const { what = 'JSON file', fileSystem = nodeFileSystem } = options;
  removeStaleTemporaries(path, { fileSystem });
  writeFileAtomic(path, Buffer.from(text, 'utf8'), what, fileSystem);
}

/** Temporary, write all, fsync, close, rename; on failure removes the temporary and throws. */
function writeFileAtomic(path: string, data: Uint8Array, what: string, fileSystem: JsonFileSystem): void {
  const directory = dirname(path);
  const temporary = temporaryPathFor(path);
  let fd: number;
  try {
    fd = fileSystem.openSync(temporary, 'wx', 0o644);
  } catch (error) {
    throw writeFailure(path, what, `creating a temporary file in ${directory}`, error);
  }
  let step = 'writing';
  try {
    let written = 0;
    while (written < data.length) {
      step = `writing (${written} of ${data.length} bytes written)`;
      const count = fileSystem.writeSync(fd, data, written, data.length - written);
      if (!(count > 0)) throw new Error('the write made no progress');
      written += count;
    }
    step = 'flushing the temporary file to disk';
    fileSystem.fsyncSync(fd);
  } catch (error) {
    ignoreErrors(() => fileSystem.closeSync(fd));
    ignoreErrors(() => fileSystem.unlinkSync(temporary));
    throw writeFailure(path, what, step, error);
  }
  try {
    step = 'closing the temporary file';
    fileSystem.closeSync(fd);
    step = 'renaming the temporary file over it';
    fileSystem.renameSync(temporary, path);
  } catch (error) {
    ignoreErrors(() => fileSystem.unlinkSync(temporary));
    throw writeFailure(path, what, step, error);
  }
  // Make the rename itself durable (best effort: not every platform can open a directory).
  ignoreErrors(() => {
    const directoryFd = fileSystem.openSync(directory, 'r');
    try {
      fileSystem.fsyncSync(directoryFd);
    } finally {
      fileSystem.closeSync(directoryFd);
    }
  });
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // ignored
  }
}

/** `<what> <path> cannot be written: <step> failed: <description> (<code>)`, with `error` as cause. */
function writeFailure(path: string, what: string, step: string, error: unknown): StepsizeError {
  const { code, errno, message } = (error ?? {}) as Partial<NodeJS.ErrnoException>;
  const description = (errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1]) ?? message ?? String(error);
  const unchanged = step.startsWith('creating') ? '' : '; the previous file is unchanged';
  return new StepsizeError(
    `${what} ${path}`,
    `cannot be written: ${step} failed: ${description}${code === undefined ? '' : ` (${code})`}${unchanged}`,
    path,
    { cause: error },
  );
}

/**
 * Reads a JSON file, with errors that say what went wrong: a missing file, or
 * content that is not JSON (a truncated or corrupt checkpoint), naming the
 * file. Validate the parsed value with the reader of its format.
 *
 * @example
 * ```ts
 * import { readJsonFile } from '@stepsize/core/node';
 * const checkpoint = readJsonFile('run.checkpoint.json', 'checkpoint');
 * ```
 */
export function readJsonFile(path: string, what = 'JSON file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StepsizeError(
      `${what} ${path}`,
      code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`,
      path,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StepsizeError(
      `${what} ${path}`,
      `is not valid JSON (truncated or corrupt? ${text.length} bytes): ${(error as Error).message}`,
      path,
      { cause: error },
    );
  }
}

/**
 * A checkpoint writer for a training loop's `checkpoint.save`: each checkpoint
 * replaces the file atomically ({@link writeJsonFileAtomic}), so a crash or a
 * full disk while saving leaves the previous checkpoint intact; its errors
 * name the checkpoint (`checkpoint <path> cannot be written: ...`).
 *
 * @example
 * ```ts
 * import { checkpointWriter } from '@stepsize/core/node';
 * train({ ..., checkpoint: { every: 100, save: checkpointWriter('run.checkpoint.json') } });
 * ```
 */
export function checkpointWriter(path: string): (checkpoint: unknown) => void {
  if (typeof path !== 'string' || path.length === 0)
    throw new StepsizeError('checkpointWriter path', 'must be a non-empty file path', path);
  return (checkpoint) => writeJsonFileAtomic(path, checkpoint, { what: 'checkpoint' });
}
