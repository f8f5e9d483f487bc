import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the README test does with one line of a shell block. */
export type ShellStep =
  | { readonly kind: 'run'; readonly command: string; readonly inRoot?: boolean }
  | { readonly kind: 'packages'; readonly names: readonly string[] }
  | { readonly kind: 'script'; readonly packageDir: string; readonly script: string }
  | { readonly kind: 'ci'; readonly command: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** Workspace package names and their folders (relative to the root). */
export function workspacePackages(root: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      if (existsSync(manifest)) found.set(JSON.parse(readFileSync(manifest, 'utf8')).name, join(group, name));
    }
  }
  return found;
}

/**
 * How one line of a README shell block is tested: commands a user runs
 * (`npx <bin>`, `node ...`, and `pnpm exec <bin>` from the repository root) are run; `npm install <names>` checks that every name
 * is a workspace package or locked in pnpm-lock.yaml (the registry is not reached
 * from a test); `npm run <script>`, `npm test` and `pnpm [--filter <package>] <script>`
 * check that the script exists (running the repository's own install or test
 * from inside its tests would recurse), except the quick start's `npm run demo`,
 * whose program is run (with the arguments after `--`; its install and build are what the test run already did); `npm test` must be what `.ci/run` runs. Anything else
 * is refused, so a new kind of line needs a rule here (or a ```text block).
 *
 * @example
 * ```ts
 * shellStep('npx stepsize sample spec.json --steps 10', packages); // { kind: 'run', command: 'npx stepsize sample spec.json --steps 10' }
 * ```
 */
export function shellStep(line: string, packages: ReadonlyMap<string, string>): ShellStep | undefined {
  const command = line.replace(/\s+#.*$/, '').trim();
  if (command === '' || command.startsWith('#')) return undefined;
  const words = command.split(/\s+/);
  const [tool, verb, ...rest] = words;
  if (tool === 'npx' || tool === 'node') return { kind: 'run', command };
  if (tool === 'npm' && (verb === 'install' || verb === 'i')) return { kind: 'packages', names: rest.filter((w) => !w.startsWith('-')) };
  if (tool === 'npm' && verb === 'test' && rest.length === 0) return { kind: 'ci', command };
  if (tool === 'npm' && verb === 'run' && rest[0] !== undefined) {
    if (rest[0] === 'demo') {
      const args = rest[1] === '--' ? rest.slice(2) : [];
      return { kind: 'run', command: ['node apps/demo/dist/main.js', ...args].join(' '), inRoot: true };
    }
    return { kind: 'script', packageDir: '.', script: rest[0] };
  }
  if (tool === 'pnpm' && verb === '--filter' && rest[0] !== undefined && rest[1] !== undefined) {
    const dir = packages.get(rest[0]);
    if (dir === undefined) return { kind: 'unknown', reason: `names no workspace package: ${rest[0]}` };
    return { kind: 'script', packageDir: dir, script: rest[1] === 'run' ? (rest[2] ?? '') : rest[1] };
  }
  if (tool === 'pnpm' && verb === 'exec') return { kind: 'run', command, inRoot: true };
  if (tool === 'pnpm' && (verb === 'install' || verb === 'i')) return { kind: 'packages', names: rest.filter((w) => !w.startsWith('-')) };
  if (tool === 'pnpm' && verb !== undefined) return { kind: 'script', packageDir: '.', script: verb === 'run' ? (rest[0] ?? '') : verb };
  return { kind: 'unknown', reason: 'is no command form the README test knows (npx, node, npm install/run/test, pnpm)' };
}
