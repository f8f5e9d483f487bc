import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConformanceFile } from './cases.js';
import { referenceConformanceFile, type ReferenceOptimizerFixture } from './references.js';
import { torchConformanceFile, type TorchOptimizerFixture } from './torch.js';

/** Path of the committed PyTorch optimizer fixture. */
export const pytorchOptimizerFixturePath = fileURLToPath(new URL('../fixtures/pytorch-optimizer-trajectories.json', import.meta.url));

/** The golden PyTorch optimizer trajectories as a conformance file (Node only: reads the packaged fixture). */
export function pytorchOptimizerCases(): ConformanceFile {
  return torchConformanceFile(JSON.parse(readFileSync(pytorchOptimizerFixturePath, 'utf8')) as TorchOptimizerFixture);
}

/** Path of the committed torch 2.13 and optax 0.2.8 reference fixture (copied from ../shared/references). */
export const referenceOptimizerFixturePath = fileURLToPath(new URL('../fixtures/reference-optimizer-trajectories.json', import.meta.url));

/**
 * The optimizers PyTorch 1.13 lacks, as a conformance file: optax 0.2.8 and torch 2.13
 * trajectories (schedule-free with its evaluation trajectory), Node only.
 */
export function referenceOptimizerCases(): ConformanceFile {
  return referenceConformanceFile(JSON.parse(readFileSync(referenceOptimizerFixturePath, 'utf8')) as ReferenceOptimizerFixture);
}

/** Path of the committed optax 0.2.8 fixture of other option sets and shapes (tooling/goldens/optax_trajectories.py). */
export const optaxOptimizerFixturePath = fileURLToPath(new URL('../fixtures/optax-optimizer-trajectories.json', import.meta.url));

/**
 * optax 0.2.8 trajectories beyond the shared reference file's option sets and shapes (Nesterov,
 * clipping off, epsilon roots, safeguard warmup, DoG's other initial steps, Muon's Adam settings,
 * a 3-D leaf and a 40-element one), as a conformance file, Node only.
 */
export function optaxOptimizerCases(): ConformanceFile {
  return referenceConformanceFile(JSON.parse(readFileSync(optaxOptimizerFixturePath, 'utf8')) as ReferenceOptimizerFixture);
}

/** Path of the committed torch.optim.Adafactor fixture of other option sets and shapes (tooling/goldens/torch_adafactor_trajectories.py). */
export const torchAdafactorFixturePath = fileURLToPath(new URL('../fixtures/torch-adafactor-trajectories.json', import.meta.url));

/**
 * torch.optim.Adafactor (Debian 13's torch 2.6) beyond the shared reference file: maximize, an
 * explicit eps1, a clipping threshold above 1, a 3-D tensor, matrices with an axis of 1, a vector
 * and a 0-D tensor, as a conformance file, Node only.
 */
export function torchAdafactorCases(): ConformanceFile {
  return referenceConformanceFile(JSON.parse(readFileSync(torchAdafactorFixturePath, 'utf8')) as ReferenceOptimizerFixture);
}
