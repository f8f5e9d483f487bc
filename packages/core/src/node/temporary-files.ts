// Names of the temporary files beside an atomically written target, and the removal of the ones a
// killed writer left behind. Internal to @stepsize/core/node (not exported from its index).
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** The `node:fs` functions that find and remove stale temporaries (a test seam). */
export interface TemporaryFileSystem {
  readdirSync(path: string): string[];
  lstatSync(path: string): { isFile(): boolean; mtimeMs: number };
  unlinkSync(path: string): void;
}

/**
 * A temporary of any pid that has not been modified for this long (24 hours) is stale: a write
 * takes seconds, so only a dead writer's file (whose pid was since reused) gets this old.
 */
export const STALE_TEMPORARY_AGE_MS = 24 * 60 * 60 * 1000;

/** `<name>.tmp-<pid>-<12 hex>`, and the name older versions used: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMPORARY = /^\.tmp-([1-9]\d{0,9})-[0-9a-f]{12}$/;
const LEGACY_TEMPORARY = /^\.([1-9]\d{0,9})\.[0-9a-f]{12}\.tmp$/;

/**
 * A new temporary path beside `target`: `<target>.tmp-<this pid>-<12 random hex digits>`, so that
 * {@link removeStaleTemporaries} can tell which target and which process it belongs to.
 *
 * @example
 * ```ts
 * temporaryPathFor('/runs/run.json'); // '/runs/run.json.tmp-4242-9f86d081884c'
 * ```
 */
export function temporaryPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Whether process `pid` exists on this machine (signal 0 probes without signalling). Only "no
 * such process" (ESRCH) counts as dead; a process of another user (EPERM) is alive.
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporaries that killed writers left beside `target` (a SIGKILL between the write
 * and the rename): regular files named `<target name>.tmp-<pid>-<12 hex>` (or the legacy
 * `.<target name>.<pid>.<12 hex>.tmp`) whose pid is not a live process, or that have not been
 * modified for {@link STALE_TEMPORARY_AGE_MS} (default 24 hours; covers a reused pid). A live
 * writer's temporary is kept; so are the files of other targets and any other name. Best effort:
 * never throws, returns the number of files removed. The pid check sees only this machine's
 * processes: a writer on another machine sharing the directory could lose its temporary, and its
 * rename then fails with an error (the target is never corrupted).
 *
 * @example
 * ```ts
 * removeStaleTemporaries('/runs/run.json', { fileSystem: { readdirSync, lstatSync, unlinkSync } });
 * ```
 */
export function removeStaleTemporaries(
  target: string,
  options: { fileSystem: TemporaryFileSystem; maximumAgeMs?: number; now?: number },
): number {
  const { fileSystem, maximumAgeMs = STALE_TEMPORARY_AGE_MS, now = Date.now() } = options;
  const directory = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = fileSystem.readdirSync(directory);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const pid = temporaryOwner(entry, name);
    if (pid === undefined) continue;
    const path = join(directory, entry);
    try {
      const stats = fileSystem.lstatSync(path);
      if (!stats.isFile()) continue;
      if (isProcessAlive(pid) && now - stats.mtimeMs < maximumAgeMs) continue;
      fileSystem.unlinkSync(path);
      removed += 1;
    } catch {
      // Removed meanwhile, or not removable: leave it.
    }
  }
  return removed;
}

/** The pid in `entry` when it names a temporary of the target `name`, else undefined. */
function temporaryOwner(entry: string, name: string): number | undefined {
  const match = entry.startsWith(name)
    ? TEMPORARY.exec(entry.slice(name.length))
    : entry.startsWith(`.${name}`)
      ? LEGACY_TEMPORARY.exec(entry.slice(name.length + 1))
      : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
