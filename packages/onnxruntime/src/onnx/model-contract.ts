import { StepsizeError } from '@stepsize/core';
import type * as ort from 'onnxruntime-node';

/** A declared dimension: a fixed size, or a symbolic one (`'batch'`; `''` when the model leaves it unnamed). */
export type ModelDimension = number | string;

/** What {@link checkTrainingModel} reads from a session (an `ort.InferenceSession` has it all). */
export type TrainingModelSignature = Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>;

/** A batched tensor of the model: its leading (batch) dimension and the per-example shape after it. */
export interface BatchedShape {
  /** The leading dimension as declared: a fixed batch size or a symbolic name (`''` if unnamed). */
  readonly batch: ModelDimension;
  /**
   * The shape of one example, as declared, with symbolic dimensions the
   * parameters bind (see {@link TrainingModelContract.symbols}) replaced by their size.
   */
  readonly example: readonly ModelDimension[];
  /** Values per example (the product of `example`), or `undefined` when a dimension is still symbolic. */
  readonly exampleSize: number | undefined;
}

/** The description of a model that follows the training convention, for the trainer. */
export interface TrainingModelContract {
  /** The parameter inputs in the order the model declares them. */
  readonly params: readonly string[];
  /** Whether the model has the optional `output` (predictions). */
  readonly hasOutput: boolean;
  readonly input: BatchedShape;
  readonly target: BatchedShape;
  /** The shape of `output` when {@link hasOutput}. */
  readonly output: BatchedShape | undefined;
  /** Named symbolic dimensions of parameter inputs and gradient outputs, with the size the parameters give them. */
  readonly symbols: Readonly<Record<string, number>>;
}

/** The parameter shapes a model is checked against (`ParameterData` and `{ shape }` both fit). */
export type ParameterShapes = Readonly<Record<string, { readonly shape: readonly number[] }>>;

const gradientOf = (param: string): string => `${param}_grad`;
const RESERVED = ['input', 'target'] as const;
const AMBIGUOUS_EMPTY = ' (ONNX Runtime reports [] both for a scalar and for a value whose shape the model does not declare)';

function formatShape(shape: readonly ModelDimension[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : d === '' ? '?' : d)).join(', ')}]`;
}

type Kind = 'input' | 'output';
type Metadata = ort.InferenceSession.ValueMetadata;

/**
 * Checks an ONNX training model against stepsize's training convention and
 * the parameters you will feed it, and describes it for the trainer.
 *
 * The convention (ONNX Runtime training artifacts' naming, kept now that
 * onnxruntime's JavaScript training API is gone and training means running a
 * forward + backward graph with `InferenceSession`):
 *
 * | kind | name | element type | shape |
 * |---|---|---|---|
 * | input | `input` | float32 | `[batch, ...features]` |
 * | input | `target` | float32 | `[batch, ...]` (any shape with a leading batch dimension) |
 * | input | one per parameter, named as the parameter | float32 | the parameter's shape |
 * | output | `loss` | float32 | `[]` (a scalar) |
 * | output | `<param>_grad` for every parameter | float32 | the parameter's shape |
 * | output | `output` (optional: predictions) | float32 | `[batch, ...]` |
 *
 * Rules, beyond "present with that type":
 * - Every input ONNX Runtime lists is required, so an input that is neither
 *   `input`, `target` nor a parameter is a problem (inputs the model gives an
 *   initializer are optional: ONNX Runtime does not list them). Extra outputs are
 *   allowed.
 * - The batch dimension (the leading one of `input`, `target`, `output`) may be
 *   symbolic or fixed; fixed sizes must agree. Feature dimensions may be
 *   symbolic too (the per-example shape then keeps the symbol).
 * - A parameter input and its gradient must have the parameter's rank, and each
 *   fixed dimension must equal the parameter's. A **symbolic** dimension there
 *   is accepted (the model is generic in that size) and bound to the
 *   parameter's size: a named symbol must get the same size everywhere it
 *   appears in a parameter or gradient, and must not be a batch dimension's name
 *   (a parameter cannot change with the batch size). Bound symbols are then
 *   substituted in the per-example shapes of `input`, `target` and `output`.
 *   Unnamed dynamic dimensions (`?`) are accepted as they are.
 * - `loss` must be declared `[]`. ONNX Runtime reports `[]` also for a value
 *   whose shape the model does not declare, so such a loss passes, and a
 *   non-scalar parameter declared without a shape is reported as `[]`.
 * - Parameters may not be named `input` or `target`, and their shapes must be
 *   arrays of integers >= 0.
 *
 * What is checked is what onnxruntime-node 1.30 exposes: `inputNames`,
 * `outputNames` and `inputMetadata` / `outputMetadata` entries
 * `{ name, isTensor, type, shape }` (`type` an `ort.Tensor.Type` such as
 * `'float32'`, `shape` numbers and strings for symbolic dimensions, `''` for an
 * unnamed one; non-tensors are `{ name, isTensor: false }`). Inputs are as the
 * model declares them; outputs are ONNX Runtime's shape inference merged with
 * the declaration (an inferred size replaces a declared symbol, and a
 * conflicting declaration loses to the inferred shape), so a gradient is checked
 * against the shape ONNX Runtime will produce whenever it can infer it.
 *
 * Every problem is collected, then one {@link StepsizeError} (path
 * `training model`, `value` the list of problems) names them all, each with the
 * input or output, what the convention expects and what the model declares.
 *
 * @param session An `InferenceSession` (only its names and input/output metadata are read).
 * @param params The parameters by name, with the shapes you will feed.
 * @returns The parameter names in the model's order, whether `output` exists, and the batched shapes.
 * @throws StepsizeError listing every problem.
 *
 * @example
 * ```ts
 * const session = await ort.InferenceSession.create('torch-linear-training.onnx');
 * const contract = checkTrainingModel(session, { weight: { shape: [4, 2] }, bias: { shape: [2] } });
 * contract.params;              // ['weight', 'bias']
 * contract.target.example;      // [2]
 * contract.input.batch;         // 'batch'
 * // A model whose weight is [2, 4] instead throws:
 * //   training model does not follow the training convention (2 problems):
 * //     - input "weight" must have shape [4, 2], got [2, 4]
 * //     - output "weight_grad" must have shape [4, 2], got [2, 4]
 * ```
 */
export function checkTrainingModel(session: TrainingModelSignature, params: ParameterShapes): TrainingModelContract {
  const { problems, contract } = inspectTrainingModel(session, params);
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new StepsizeError(
      'training model',
      `does not follow the training convention (${count}):\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  return contract;
}

/**
 * {@link checkTrainingModel} without the throw: every problem found (empty when
 * the model follows the convention) and the description, as far as it could be read.
 */
export function inspectTrainingModel(
  session: TrainingModelSignature,
  params: ParameterShapes,
): { problems: string[]; contract: TrainingModelContract } {
  const problems: string[] = [];
  // Every listed name, with its metadata when ONNX Runtime gives it (1.30 always does).
  const metadataOf = (names: readonly string[], metadata: readonly Metadata[] | undefined): Map<string, Metadata | undefined> => {
    const byName = new Map((metadata ?? []).map((m) => [m.name, m] as const));
    return new Map(names.map((name) => [name, byName.get(name)]));
  };
  const values: Record<Kind, Map<string, Metadata | undefined>> = {
    input: metadataOf(session.inputNames, session.inputMetadata),
    output: metadataOf(session.outputNames, session.outputMetadata),
  };

  // The user's parameters.
  const shapes = new Map<string, readonly number[]>();
  if (typeof params !== 'object' || params === null) {
    problems.push(`the parameters must be an object of { shape } by name, got ${params === null ? 'null' : typeof params}`);
  } else {
    for (const [name, param] of Object.entries(params)) {
      const shape = (param as { shape?: unknown } | null | undefined)?.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        problems.push(
          `parameter "${name}" shape must be an array of integers >= 0, got ${Array.isArray(shape) ? JSON.stringify(shape) : String(shape)}`,
        );
        continue;
      }
      if ((RESERVED as readonly string[]).includes(name)) {
        problems.push(`parameter "${name}" uses a reserved name (${RESERVED.join(', ')} are the batch's inputs)`);
        continue;
      }
      shapes.set(name, shape as number[]);
    }
    for (const name of shapes.keys()) {
      if (shapes.has(gradientOf(name)))
        problems.push(`parameters "${name}" and "${gradientOf(name)}" collide: "${gradientOf(name)}" is the gradient output of "${name}"`);
    }
    if (Object.keys(params).length === 0)
      problems.push('no parameters given: a training model has at least one parameter input and its gradient');
  }

  /** The metadata of a float32 tensor, or undefined (with the problem recorded). */
  const tensor = (kind: Kind, name: string, required: boolean): { shape: readonly ModelDimension[] | undefined } | undefined => {
    if (!values[kind].has(name)) {
      if (required) problems.push(`${kind} "${name}" is missing`);
      return undefined;
    }
    const metadata = values[kind].get(name);
    if (metadata === undefined) return { shape: undefined }; // ONNX Runtime gave no metadata: nothing more to check
    if (!metadata.isTensor) {
      problems.push(`${kind} "${name}" must be a float32 tensor, got a non-tensor value (sequence, map or optional)`);
      return undefined;
    }
    if (metadata.type !== 'float32') problems.push(`${kind} "${name}" must be a float32 tensor, got ${metadata.type}`);
    return { shape: metadata.shape };
  };

  // input, target, output: a leading batch dimension.
  const batched = (kind: Kind, name: string, required: boolean): readonly ModelDimension[] | undefined => {
    const found = tensor(kind, name, required);
    if (!found?.shape) return undefined;
    if (found.shape.length === 0) {
      problems.push(`${kind} "${name}" must have a leading batch dimension, got []${AMBIGUOUS_EMPTY}`);
      return undefined;
    }
    return found.shape;
  };
  const inputShape = batched('input', 'input', true);
  const targetShape = batched('input', 'target', true);
  const hasOutput = values.output.has('output');
  const outputShape = hasOutput ? batched('output', 'output', false) : undefined;

  const batchNames = new Map<string, string>();
  let fixedBatch: { size: number; where: string } | undefined;
  for (const [kind, name, shape] of [
    ['input', 'input', inputShape],
    ['input', 'target', targetShape],
    ['output', 'output', outputShape],
  ] as const) {
    const leading = shape?.[0];
    if (typeof leading === 'string' && leading !== '' && !batchNames.has(leading)) batchNames.set(leading, `${kind} "${name}"`);
    if (typeof leading === 'number') {
      if (!fixedBatch) fixedBatch = { size: leading, where: `${kind} "${name}"` };
      else if (fixedBatch.size !== leading) {
        problems.push(
          `${kind} "${name}" must have the batch size of ${fixedBatch.where} (${fixedBatch.size}) as its leading dimension, got ${formatShape(shape as readonly ModelDimension[])}`,
        );
      }
    }
  }

  // loss: a float32 scalar.
  const loss = tensor('output', 'loss', true);
  if (loss?.shape && loss.shape.length !== 0)
    problems.push(`output "loss" must have shape [], got ${formatShape(loss.shape)} (the loss is a scalar)`);

  // Parameters and their gradients: the parameter's shape; symbolic dimensions bind.
  const symbols = new Map<string, { size: number; where: string }>();
  const checkParameterShape = (kind: Kind, name: string, expected: readonly number[]): void => {
    const found = tensor(kind, name, true);
    if (!found?.shape) return;
    const actual = found.shape;
    const mismatch = `${kind} "${name}" must have shape ${formatShape(expected)}, got ${formatShape(actual)}`;
    if (actual.length !== expected.length) {
      problems.push(actual.length === 0 ? `${mismatch}${AMBIGUOUS_EMPTY}` : mismatch);
      return;
    }
    let differs = false;
    const notes: string[] = [];
    actual.forEach((dimension, axis) => {
      const size = expected[axis] as number;
      if (typeof dimension === 'number') {
        differs ||= dimension !== size;
        return;
      }
      if (dimension === '') return;
      const batch = batchNames.get(dimension);
      const bound = symbols.get(dimension);
      if (batch) notes.push(`"${dimension}" is the batch dimension of ${batch}, and a parameter cannot change with the batch size`);
      else if (!bound) symbols.set(dimension, { size, where: `${kind} "${name}" dimension ${axis}` });
      else if (bound.size !== size) notes.push(`dimension ${axis} "${dimension}" is ${bound.size} at ${bound.where}`);
    });
    if (differs || notes.length > 0) problems.push(notes.length > 0 ? `${mismatch}: ${notes.join('; ')}` : mismatch);
  };
  for (const [name, shape] of shapes) checkParameterShape('input', name, shape);
  for (const [name, shape] of shapes) checkParameterShape('output', gradientOf(name), shape);

  // Every listed input is required: anything else cannot be fed.
  for (const name of values.input.keys()) {
    if (
      name !== 'input' &&
      name !== 'target' &&
      !shapes.has(name) &&
      !(params !== null && typeof params === 'object' && Object.hasOwn(params, name))
    ) {
      problems.push(`input "${name}" is neither input, target nor a parameter (${[...shapes.keys()].join(', ') || 'none given'})`);
    }
  }

  const describe = (shape: readonly ModelDimension[] | undefined): BatchedShape => {
    const example = (shape ?? [''])
      .slice(1)
      .map((d) => (typeof d === 'string' && symbols.has(d) ? (symbols.get(d) as { size: number }).size : d));
    const known = example.every((d): d is number => typeof d === 'number');
    return { batch: shape?.[0] ?? '', example, exampleSize: known ? example.reduce((a, b) => a * b, 1) : undefined };
  };
  const contract: TrainingModelContract = {
    params: [...values.input.keys()].filter((name) => shapes.has(name)),
    hasOutput,
    input: describe(inputShape),
    target: describe(targetShape),
    output: hasOutput ? describe(outputShape) : undefined,
    symbols: Object.fromEntries([...symbols].map(([name, { size }]) => [name, size])),
  };
  return { problems, contract };
}
