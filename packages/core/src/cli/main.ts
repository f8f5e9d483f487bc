#!/usr/bin/env node
/**
 * The `stepsize` executable: a thin wrapper that runs {@link run} on the
 * process's arguments and streams. All logic lives in run.ts and its modules.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { run } from './run.js';

// run() learns of a failed write (ENOSPC, EPIPE from `stepsize ... | head`) from the write's callback and
// reports it; the stream also emits 'error', which without a listener would crash the process. A failure to
// write an error message to stderr leaves nowhere to report it.
const ignore = (): void => {};
process.stdout.on('error', ignore);
process.stderr.on('error', ignore);

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  readFile: (path) => readFile(path, 'utf8'),
  // The report goes to a temporary file renamed over the target: a failed write leaves the previous one whole.
  writeFile: async (path, content) => {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, content, typeof content === 'string' ? 'utf8' : undefined);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  },
});
