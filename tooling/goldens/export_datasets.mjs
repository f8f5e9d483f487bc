// The datasets the PyTorch diagnose corpus trains on, exported from @stepsize/datasets so that
// PyTorch sees exactly the examples, order and split the TypeScript side uses.
//
//   pnpm --filter @stepsize/datasets build && node tooling/goldens/export_datasets.mjs
//   node tooling/goldens/export_datasets.mjs --check   # exit 1 if a committed file differs
//
// Writes tooling/goldens/data/iris.json (iris({ seed: 0 }): 120 train / 30 validation, features
// standardised) and tooling/goldens/data/mnist-digits.json (mnist({ perClass: 50,
// validationPerClass: 20 }): 500 / 200). The `mnist` package stores each pixel as k / 255 written
// with three decimals (0.624 for k = 159); the file keeps the level k (0..255) and a 256-entry
// table `pixelValues` of the float32 value the package gives for each level, and every pixel is
// checked to round-trip exactly through (level, table).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { iris } from '../datasets/dist/index.js';
import { mnist } from '../datasets/dist/mnist.js';

const directory = fileURLToPath(new URL('data/', import.meta.url));
const check = process.argv.includes('--check');

/** A Dataset's flat inputs as one row per example, each value passed through `encode`. */
function rows(dataset, inputSize, encode) {
  const result = [];
  for (let example = 0; example < dataset.examples; example += 1) {
    const start = example * inputSize;
    result.push(Array.from(dataset.inputs.subarray(start, start + inputSize), encode));
  }
  return result;
}

function split(dataset, inputSize, encode) {
  return { inputs: rows(dataset, inputSize, encode), targets: Array.from(dataset.targets) };
}

/** The float32 value the package holds for pixel level k: k / 255 written with three decimals. */
const pixelValues = Array.from({ length: 256 }, (_, level) => Math.fround(Number((level / 255).toFixed(3))));

/** A pixel as its level k in 0..255, failing unless pixelValues[k] gives the stored value back exactly. */
function pixel(value) {
  const level = Math.round(value * 255);
  if (!(level >= 0 && level <= 255) || pixelValues[level] !== value) {
    throw new Error(`pixel ${value} is not a level k / 255 (three decimals) for an integer k in 0..255`);
  }
  return level;
}

function write(name, document) {
  const path = `${directory}${name}`;
  const text = `${JSON.stringify(document)}\n`;
  if (check) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
    console.log(`${path}: ${current === text ? 'up to date' : 'differs from @stepsize/datasets; regenerate it'}`);
    if (current !== text) process.exitCode = 1;
    return;
  }
  writeFileSync(path, text);
  console.log(`wrote ${path}: ${document.train.targets.length} train / ${document.validation.targets.length} validation`);
}

if (!check) mkdirSync(directory, { recursive: true });

const flowers = iris({ seed: 0 });
write('iris.json', {
  provenance: {
    generator: 'tooling/goldens/export_datasets.mjs',
    source: 'iris({ seed: 0 }) from @stepsize/datasets',
    description: flowers.description,
    encoding: 'inputs are the float32 standardised features; targets are class indices',
  },
  inputSize: flowers.inputSize,
  classes: flowers.classes,
  train: split(flowers.train, flowers.inputSize, (value) => value),
  validation: split(flowers.validation, flowers.inputSize, (value) => value),
});

const digits = mnist({ perClass: 50, validationPerClass: 20 });
write('mnist-digits.json', {
  provenance: {
    generator: 'tooling/goldens/export_datasets.mjs',
    source: 'mnist({ perClass: 50, validationPerClass: 20 }) from @stepsize/datasets',
    description: digits.description,
    encoding:
      'inputs are pixel levels k in 0..255; the package (and the model) sees the float32 pixelValues[k] (k / 255 to three decimals); targets are class indices',
  },
  pixelValues,
  inputSize: digits.inputSize,
  classes: digits.classes,
  train: split(digits.train, digits.inputSize, pixel),
  validation: split(digits.validation, digits.inputSize, pixel),
});
