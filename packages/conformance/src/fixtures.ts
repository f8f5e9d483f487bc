import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConformanceFile } from './cases.js';
import { torchConformanceFile, type TorchOptimizerFixture } from './torch.js';

/** Path of the committed PyTorch optimizer fixture. */
export const pytorchOptimizerFixturePath = fileURLToPath(new URL('../fixtures/pytorch-optimizer-trajectories.json', import.meta.url));

/** The golden PyTorch optimizer trajectories as a conformance file (Node only: reads the packaged fixture). */
export function pytorchOptimizerCases(): ConformanceFile {
  return torchConformanceFile(JSON.parse(readFileSync(pytorchOptimizerFixturePath, 'utf8')) as TorchOptimizerFixture);
}
