#!/usr/bin/env node
/**
 * The `stepsize` executable: a thin wrapper that runs {@link run} on the
 * process's arguments and streams. All logic lives in run.ts and its modules.
 */
import { readFile } from 'node:fs/promises';
import { run } from './run.js';

// `stepsize ... | head` closes the pipe early: stop quietly instead of crashing.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  readFile: (path) => readFile(path, 'utf8'),
});
