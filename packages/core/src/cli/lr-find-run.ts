import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StepsizeError } from '../errors.js';
import { findLearningRate } from '../lr-finder/find.js';
import type { FindLearningRateResult } from '../lr-finder/range-test.js';
import { rangeTestChart } from '../lr-finder/text-plot.js';
import type { OptimizerSpec } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import type { TrainingBackend } from '../training/backend.js';
import type { Dataset } from '../training/data.js';
import type { MlpSpec } from '../training/mlp-spec.js';
import { fitExamples, readExampleFile } from './data-file.js';
import { InputError, readInputText } from './input.js';
import { irisDataset } from './iris-data.js';
import { mnistDataset } from './mnist-data.js';
import type { LrFindCommand } from './lr-find-args.js';
import type { CliIO } from './run.js';

/** The demo's models: iris 4-16-3 and MNIST 784-32-10, tanh, softmax cross-entropy, seeded. */
const MLPS: Readonly<Record<'iris' | 'mnist', MlpSpec>> = {
  iris: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 },
  mnist: { inputSize: 784, layers: [32, 10], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 },
};
const PACKAGES = { engine: '@stepsize/engine', tfjs: '@stepsize/tfjs', onnxruntime: '@stepsize/onnxruntime' } as const;
const short = (value: number): string => String(Number(value.toPrecision(3)));

/** Imports a package installed where the CLI runs (resolved from `cwd`), else where @stepsize/core is. */
export async function loadPackage(specifier: string, cwd: string): Promise<Record<string, unknown>> {
  let path: string | undefined;
  try {
    path = createRequire(join(cwd, 'package.json')).resolve(specifier);
  } catch {
    path = undefined;
  }
  try {
    return (await import(path === undefined ? specifier : pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new InputError(`${specifier} is not installed in ${cwd} (npm install ${specifier})`);
  }
}

function factory<T>(module: Record<string, unknown>, name: string, specifier: string): T {
  const found = module[name];
  if (typeof found !== 'function') throw new InputError(`${specifier} does not export ${name} (is it an old version?)`);
  return found as T;
}

/** The optimizer spec: JSON text (starting with `{`) or a file holding it. */
async function readOptimizer(command: LrFindCommand, io: CliIO): Promise<OptimizerSpec> {
  const inline = command.optimizer.trimStart().startsWith('{');
  const name = inline ? '--optimizer' : command.optimizer;
  const text = inline ? command.optimizer : (await readInputText(command.optimizer, io)).replace(/^\uFEFF/, '');
  try {
    return optimizerFromJSON(text).toJSON();
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(`${name}: ${error.message}`);
    throw error;
  }
}

/** The backend and data of the run, and how to describe them. */
async function setUp(command: LrFindCommand, io: CliIO, load: (specifier: string) => Promise<Record<string, unknown>>) {
  const specifier = PACKAGES[command.backend];
  if (command.dataset !== undefined) {
    const mlp = MLPS[command.dataset];
    // The digits come from the `mnist` package (41 MB, not embedded), checked before any backend is made.
    const data = command.dataset === 'iris' ? irisDataset(command.seed).train : mnistDataset(await load('mnist'));
    const module = await load(specifier);
    let backend: TrainingBackend;
    if (command.backend === 'tfjs') {
      // tfjs needs a backend registered: its cpu backend, from the project.
      await load('@tensorflow/tfjs-backend-cpu');
      backend = await factory<(o: unknown) => Promise<TrainingBackend>>(module, 'tfjsTrainingBackend', specifier)({ mlp });
    } else {
      const name = command.backend === 'engine' ? 'engineTrainingBackend' : 'onnxruntimeTrainingBackend';
      backend = await factory<(o: unknown) => Promise<TrainingBackend>>(module, name, specifier)({ mlp });
    }
    const what =
      command.dataset === 'iris'
        ? `iris (${data.examples} flowers, 4 features, 3 classes), MLP 4-16-3 (tanh)`
        : `MNIST (${data.examples} digits, 28x28 pixels, 10 classes), MLP 784-32-10 (tanh)`;
    return { backend, data, what: `${what} on ${backend.name}` };
  }
  const cwd = io.cwd ?? process.cwd();
  const model = resolve(cwd, command.model as string);
  const dataName = command.data as string;
  const text = await readInputText(isAbsolute(dataName) ? dataName : resolve(cwd, dataName), io).catch((error: unknown) => {
    if (error instanceof InputError) throw new InputError(error.message.replace(resolve(cwd, dataName), dataName));
    throw error;
  });
  const file = readExampleFile(text, dataName, command.target);
  const paramsName = command.params as string;
  const paramsText = await readInputText(resolve(cwd, paramsName), io).catch((error: unknown) => {
    if (error instanceof InputError) throw new InputError(error.message.replace(resolve(cwd, paramsName), paramsName));
    throw error;
  });
  let params: unknown;
  try {
    params = JSON.parse(paramsText.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(`${paramsName}: invalid JSON (${(error as Error).message})`);
  }
  // A stepsize checkpoint holds its parameters as { name: { shape, values } } under `params`.
  if (typeof params === 'object' && params !== null && (params as { format?: unknown }).format === 'stepsize-checkpoint/1') {
    params = (params as { params: unknown }).params;
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InputError(`${paramsName}: must be an object { name: { values, shape } } (or a stepsize checkpoint)`);
  }
  // JSON arrays of numbers become the Float32Arrays the backend takes (it checks every value and shape).
  const tensors = Object.fromEntries(
    Object.entries(params).map(([name, parameter]) => {
      const values = (parameter as { values?: unknown } | null)?.values;
      if (!Array.isArray(values)) throw new InputError(`${paramsName}: ${name}.values must be an array of numbers`);
      const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
      if (bad >= 0)
        throw new InputError(`${paramsName}: ${name}.values[${bad}] must be a finite number, got ${JSON.stringify(values[bad])}`);
      return [name, { ...(parameter as object), values: Float32Array.from(values as number[]) }];
    }),
  );
  const module = await load(specifier);
  let backend: TrainingBackend;
  try {
    backend = await factory<(o: unknown) => Promise<TrainingBackend>>(
      module,
      'onnxruntimeTrainingBackend',
      specifier,
    )({ model, params: tensors });
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(`${command.model}: ${error.message}`);
    throw error;
  }
  let data: Dataset;
  try {
    data = fitExamples(file, dataName, backend.exampleWidths);
  } catch (error) {
    await backend.dispose?.();
    throw error;
  }
  return { backend, data, what: `${command.model} on ${backend.name}, ${data.examples} examples from ${dataName}` };
}

/** The result as text: what ran, the chart, the suggestions, where the plot went. */
function formatResult(result: FindLearningRateResult, command: LrFindCommand, what: string, optimizer: OptimizerSpec): string[] {
  const updates = result.losses.length;
  const lines = [
    `lr-find: ${what}; ${optimizer.type}, batch ${command.batchSize}, seed ${command.seed}`,
    `swept ${short(command.minLearningRate)} .. ${short(command.maxLearningRate)} (${command.mode}) over ${command.steps} updates: ${updates} ran, ${result.stopReason}`,
  ];
  if (command.chart)
    lines.push('', 'smoothed loss:', ...rangeTestChart(result, { width: command.width, height: command.height, ascii: command.ascii }));
  lines.push('', 'suggestions (fastai):');
  for (const name of ['valley', 'steep', 'minimum', 'slide'] as const) {
    const found = result.suggestions[name];
    const why =
      found === undefined
        ? `none (${result.missingSuggestions[name] ?? 'not found'})`
        : `${short(found.learningRate)} (update ${found.index})`;
    lines.push(`  ${name.padEnd(8)}${why}${name === 'valley' ? '   <- the default' : ''}`);
  }
  if (command.plot !== undefined) lines.push('', `plot written to ${command.plot}`);
  return lines;
}

/**
 * `stepsize lr-find`: the range test (core's `findLearningRate`) on the embedded iris MLP
 * (`--dataset iris`, on the engine, tfjs or ONNX Runtime) or a user's ONNX training model with
 * a CSV or JSON data file; prints the chart and fastai's suggestions (or JSON), and writes the
 * plot (`--plot out.svg|out.png`, by @stepsize/plot). The adapters are imported from the
 * project the command runs in.
 */
export async function lrFindOutput(command: LrFindCommand, io: CliIO): Promise<string[]> {
  const cwd = io.cwd ?? process.cwd();
  const load = io.load ?? ((specifier: string) => loadPackage(specifier, cwd));
  const optimizer = await readOptimizer(command, io);
  // The plotting package is checked before any training.
  const plotter = command.plot === undefined ? undefined : await load('@stepsize/plot');
  const { backend, data, what } = await setUp(command, io, load);
  let result: FindLearningRateResult;
  try {
    result = await findLearningRate({
      backend,
      data,
      optimizer,
      batchSize: Math.min(command.batchSize, data.examples),
      steps: command.steps,
      minLearningRate: command.minLearningRate,
      maxLearningRate: command.maxLearningRate,
      mode: command.mode,
      smoothing: command.smoothing,
      divergence: command.divergence,
      seed: command.seed,
    });
  } catch (error) {
    if (error instanceof StepsizeError) throw new InputError(error.message);
    throw error;
  } finally {
    await backend.dispose?.();
  }
  if (plotter !== undefined && command.plot !== undefined) {
    if (io.writeFile === undefined) throw new InputError('cannot write the plot here');
    const png = command.plot.toLowerCase().endsWith('.png');
    const render = factory<(r: FindLearningRateResult) => Promise<string | Uint8Array>>(
      plotter,
      png ? 'rangeTestPng' : 'rangeTestSvg',
      '@stepsize/plot',
    );
    try {
      await io.writeFile(resolve(cwd, command.plot), await render(result));
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot write ${command.plot}: ${(error as Error).message}`);
    }
  }
  if (command.format === 'json') return [`${JSON.stringify({ setup: what, optimizer, ...result }, null, 2)}\n`];
  return [`${formatResult(result, command, what, optimizer).join('\n')}\n`];
}
