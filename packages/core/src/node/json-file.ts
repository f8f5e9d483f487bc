import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StepsizeError } from '../errors.js';

/**
 * Writes `value` as JSON to `path` atomically: the JSON is produced first (a
 * value that cannot be serialized fails before the disk is touched), written
 * to a temporary file beside the target, flushed to disk, then renamed over
 * the target. A crash at any moment leaves either the previous file or the
 * new one, never a truncated mix. Used for checkpoints.
 *
 * @example
 * ```ts
 * import { writeJsonFileAtomic } from '@stepsize/core/node';
 * writeJsonFileAtomic('run.checkpoint.json', checkpoint);
 * ```
 */
export function writeJsonFileAtomic(path: string, value: unknown): void {
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
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o644);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  try {
    // Make the rename itself durable (best effort: not every platform can open a directory).
    const directory = openSync(dirname(path), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch {
    // ignored
  }
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
 * replaces the file atomically ({@link writeJsonFileAtomic}), so a crash while
 * saving leaves the previous checkpoint intact.
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
  return (checkpoint) => writeJsonFileAtomic(path, checkpoint);
}
