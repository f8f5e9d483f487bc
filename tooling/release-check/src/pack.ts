import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The packages users install from the registry (folder under packages/ → npm name). */
export const publicPackages = {
  core: '@stepsize/core',
  engine: '@stepsize/engine',
  conformance: '@stepsize/conformance',
  tfjs: '@stepsize/tfjs',
  onnxruntime: '@stepsize/onnxruntime',
  plot: '@stepsize/plot',
} as const;

/** The framework versions the consumer test installs (the low ends of the peer ranges). */
export const peers = [
  '@tensorflow/tfjs-core@4.22.0',
  '@tensorflow/tfjs-layers@4.22.0',
  '@tensorflow/tfjs-backend-cpu@4.22.0',
  'onnxruntime-node@1.30.0',
];

/** pnpm as the quick start runs it (already on PATH, or fetched by npm exec). */
export function pnpm(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('pnpm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return execFileSync('npm', ['exec', '--yes', '--package=pnpm@12.21.0', '--', 'pnpm', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/**
 * Packs every public package with `pnpm pack` (which turns `workspace:` ranges
 * into real versions, as publishing does) into a fresh temporary folder.
 * Returns tarball paths by folder name.
 */
export function packAll(): Record<keyof typeof publicPackages, string> {
  const destination = mkdtempSync(join(tmpdir(), 'stepsize-pack-'));
  for (const folder of Object.keys(publicPackages)) pnpm(['pack', '--pack-destination', destination], join(root, 'packages', folder));
  const files = readdirSync(destination);
  const tarballs = {} as Record<keyof typeof publicPackages, string>;
  for (const [folder, name] of Object.entries(publicPackages)) {
    const prefix = `${name.replace('@', '').replace('/', '-')}-`;
    const file = files.find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${name} in ${destination}`);
    tarballs[folder as keyof typeof publicPackages] = join(destination, file);
  }
  return tarballs;
}
