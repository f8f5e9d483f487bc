import { StepsizeError } from '@stepsize/core';
import { type Dimension, GraphBuilder } from '../onnx/graph.js';
import { appendLoss, type LossName, type TargetKind } from '../onnx/loss-head.js';
import type { ParameterData } from '../parameters.js';
import { type GradientContext, nodeError } from './gradient-context.js';
import { Attributes, DataType, decodeModel, floatValues, type NodeProto, tensorDims } from './onnx-model.js';
import { DIFFERENTIATED_OPERATORS, GRADIENT_RULES } from './rules.js';
import { type Dim, inferFacts, type ValueFacts } from './shapes.js';

/** Options of {@link buildTrainingModel}. */
export interface BuildTrainingModelOptions {
  /** The loss appended to the predictions (see {@link buildTrainingModel}). */
  readonly loss: LossName;
  /** For `softmaxCrossEntropy`: class indices [batch] (default) or rows [batch, classes]. */
  readonly target?: TargetKind;
  /** The initializers to train (all others stay constants). Default: every float32 initializer the predictions depend on. */
  readonly trainable?: readonly string[];
  /** The initializers to keep constant, the rest trained (instead of `trainable`). */
  readonly frozen?: readonly string[];
  /** The graph output holding the predictions. Default: the first output. */
  readonly output?: string;
  /**
   * `Dropout` in the training graph: `'identity'` (default: its inference behaviour, so
   * training is deterministic) or `'active'` (a new random mask at every run, the kept
   * values scaled by 1 / (1 - ratio), and the gradient through the same mask, as
   * `nn.Dropout` in `train()` mode; evaluations then also run with dropout).
   */
  readonly dropout?: 'identity' | 'active';
}

/** A training model made by {@link buildTrainingModel}, with its parameters' initial values. */
export interface TrainingModel {
  /** The ONNX model (bytes) in the training convention. */
  readonly model: Uint8Array;
  /** The trained initializers, by name, with their values in the inference model. */
  readonly params: Readonly<Record<string, ParameterData>>;
}

const WHERE = 'buildTrainingModel';
const LOSSES: readonly LossName[] = ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'];
const MIN_OPSET = 13;
const MAX_OPSET = 17;

/** Inputs of each operator that carry no gradient (shapes, indices, statistics, masks). */
const NOT_DIFFERENTIABLE: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Expand: [1],
  Squeeze: [1],
  Unsqueeze: [1],
  ReduceSum: [1],
  Slice: [1, 2, 3, 4],
  Pad: [1, 2, 3],
  Gather: [1],
  Where: [0],
  Dropout: [1, 2],
  BatchNormalization: [3, 4],
  ConstantOfShape: [0],
  Split: [1],
  Tile: [1],
};

function checkOptions(options: BuildTrainingModelOptions): void {
  if (typeof options !== 'object' || options === null) throw new StepsizeError(`${WHERE} options`, 'must be an options object', options);
  if (!LOSSES.includes(options.loss))
    throw new StepsizeError(
      `${WHERE} options.loss`,
      `must be ${LOSSES.map((l) => `"${l}"`).join(', ')}, got ${JSON.stringify(options.loss)}`,
      options.loss,
    );
  if (options.target !== undefined && options.target !== 'classIndex' && options.target !== 'oneHot')
    throw new StepsizeError(
      `${WHERE} options.target`,
      `must be "classIndex" or "oneHot", got ${JSON.stringify(options.target)}`,
      options.target,
    );
  if (options.target !== undefined && options.loss !== 'softmaxCrossEntropy')
    throw new StepsizeError(`${WHERE} options.target`, 'applies to the softmaxCrossEntropy loss only', options.target);
  if (options.dropout !== undefined && options.dropout !== 'identity' && options.dropout !== 'active')
    throw new StepsizeError(
      `${WHERE} options.dropout`,
      `must be "identity" or "active", got ${JSON.stringify(options.dropout)}`,
      options.dropout,
    );
  if (options.trainable !== undefined && options.frozen !== undefined)
    throw new StepsizeError(`${WHERE} options`, 'give trainable or frozen, not both', Object.keys(options));
  for (const key of ['trainable', 'frozen'] as const) {
    const list = options[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((name) => typeof name !== 'string')))
      throw new StepsizeError(`${WHERE} options.${key}`, 'must be an array of initializer names', list);
  }
}

/** The values the listed ones depend on through differentiable inputs (forward), nodes in order. */
function dependents(nodes: readonly NodeProto[], sources: ReadonlySet<string>): Set<string> {
  const reached = new Set(sources);
  for (const node of nodes) {
    const skip = NOT_DIFFERENTIABLE[node.opType as string] ?? [];
    if ((node.input ?? []).some((name, i) => name && reached.has(name) && !skip.includes(i)))
      for (const out of node.output ?? []) if (out) reached.add(out);
  }
  return reached;
}

/** The values `target` is computed from (backward), nodes in order. */
function ancestors(nodes: readonly NodeProto[], target: string): Set<string> {
  const needed = new Set([target]);
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    const node = nodes[i] as NodeProto;
    if ((node.output ?? []).some((out) => out && needed.has(out))) for (const input of node.input ?? []) if (input) needed.add(input);
  }
  return needed;
}

/**
 * Turns an ordinary ONNX inference model (`torch.onnx.export` of an `nn.Module`, or any
 * model with float32 initializers, opset 13 to 17) into a model in stepsize's training
 * convention: the chosen initializers become parameter inputs (their values the initial
 * parameters), the loss is appended to the predictions, and the graph is differentiated in
 * reverse mode with standard ONNX operators only (opset 17; it runs on onnxruntime-node's
 * CPU build). Inputs `input` (float32 [batch, ...], cast to the model's type when it reads
 * integers such as token ids), `target` and one per parameter; outputs `loss`, `output`
 * (the predictions) and `<param>_grad`; the batch dimension stays symbolic.
 *
 * Losses, as PyTorch's: `mse` (`MSELoss`, mean), `softmaxCrossEntropy` over axis 1 of
 * [batch, classes] predictions (`CrossEntropyLoss`; `target` class indices as float32, or
 * rows with `target: 'oneHot'`), `binaryCrossEntropy` on logits (`BCEWithLogitsLoss`).
 *
 * Operators on the path from a parameter to the predictions must be among
 * {@link DIFFERENTIATED_OPERATORS}; any other one gets an error naming it, its node and
 * that list, and nothing is built. Operators off that path (shape computations, constants)
 * are kept as they are. `Dropout` is the identity (its inference behaviour) unless
 * `dropout: 'active'`; BatchNormalization
 * keeps its running statistics (inference mode), and its scale and bias train.
 *
 * @example
 * ```ts
 * const { model, params } = buildTrainingModel(readFileSync('cnn.onnx'), { loss: 'softmaxCrossEntropy', trainable: ['7.weight', '7.bias'] });
 * const backend = await onnxruntimeTrainingBackend({ model, params });
 * ```
 */
export function buildTrainingModel(inferenceModel: Uint8Array, options: BuildTrainingModelOptions): TrainingModel {
  checkOptions(options);
  const decoded = decodeModel(inferenceModel, `${WHERE} inferenceModel`);
  if (decoded.opset < MIN_OPSET || decoded.opset > MAX_OPSET)
    throw new StepsizeError(
      `${WHERE} inferenceModel`,
      `must use ONNX opset ${MIN_OPSET} to ${MAX_OPSET}, got ${decoded.opset} (re-export it with opset_version=17)`,
      decoded.opset,
    );
  const facts = inferFacts(decoded, `${WHERE} inferenceModel`);
  const { nodes, initializers } = decoded;
  const dataInputs = decoded.inputs.filter((i) => !initializers.has(i.name as string));
  if (dataInputs.length !== 1)
    throw new StepsizeError(
      `${WHERE} inferenceModel`,
      `must have one data input besides its initializers, got ${dataInputs.length}: ${dataInputs.map((i) => i.name).join(', ')}`,
      dataInputs.length,
    );
  const dataInput = dataInputs[0]?.name as string;
  const outputName = options.output ?? (decoded.outputs[0]?.name as string);
  if (!decoded.outputs.some((o) => o.name === outputName))
    throw new StepsizeError(
      `${WHERE} options.output`,
      `must be one of the model's outputs (${decoded.outputs.map((o) => o.name).join(', ')}), got ${JSON.stringify(outputName)}`,
      outputName,
    );
  const outputFacts = facts.get(outputName);
  if (!outputFacts?.shape || outputFacts.type !== DataType.FLOAT)
    throw new StepsizeError(
      `${WHERE} inferenceModel`,
      `its output "${outputName}" must be float32 with a shape that can be inferred`,
      outputName,
    );

  // Parameters.
  const floatInitializers = [...initializers.keys()].filter((name) => initializers.get(name)?.dataType === DataType.FLOAT);
  const needed = ancestors(nodes, outputName);
  const consumedDifferentiably = new Set<string>();
  for (const node of nodes) {
    const skip = NOT_DIFFERENTIABLE[node.opType as string] ?? [];
    (node.input ?? []).forEach((name, i) => {
      if (name && !skip.includes(i)) consumedDifferentiably.add(name);
    });
  }
  const checkNames = (list: readonly string[], key: string): void => {
    for (const name of list)
      if (!floatInitializers.includes(name))
        throw new StepsizeError(
          `${WHERE} options.${key}`,
          `names "${name}", which is not a float32 initializer of the model (it has: ${floatInitializers.join(', ')})`,
          name,
        );
  };
  let trainable: string[];
  if (options.trainable) {
    checkNames(options.trainable, 'trainable');
    trainable = [...new Set(options.trainable)];
  } else {
    const frozen = new Set(options.frozen ?? []);
    checkNames([...frozen], 'frozen');
    trainable = floatInitializers.filter((name) => !frozen.has(name) && needed.has(name) && consumedDifferentiably.has(name));
  }
  if (trainable.length === 0)
    throw new StepsizeError(`${WHERE} options`, 'leave no initializer to train', options.trainable ?? options.frozen);
  for (const name of trainable) {
    if (name === 'input' || name === 'target')
      throw new StepsizeError(`${WHERE} options.trainable`, `cannot train an initializer named "${name}" (a training input's name)`, name);
    if (!needed.has(name))
      throw new StepsizeError(
        `${WHERE} options.trainable`,
        `names "${name}", which the output "${outputName}" does not depend on: freeze it`,
        name,
      );
  }

  // Names: the training convention's are kept free in the copied graph.
  const graph = new GraphBuilder('stepsize_training');
  const original = new Set<string>([...initializers.keys(), ...decoded.inputs.map((i) => i.name as string)]);
  for (const node of nodes) for (const out of node.output ?? []) if (out) original.add(out);
  const convention = new Set(['input', 'target', 'loss', 'output', ...trainable.map((p) => `${p}_grad`)]);
  const dataType = facts.get(dataInput)?.type ?? DataType.FLOAT;
  // The copied graph's names stay taken, but for those it gives up (renamed below) and the parameter inputs.
  graph.reserve([...original].filter((name) => !convention.has(name) && !trainable.includes(name)));
  graph.reserve(nodes.map((n) => n.name ?? '').filter(Boolean));
  const rename = new Map<string, string>();
  for (const name of original) {
    if (!convention.has(name)) continue;
    if (name === 'input' && name === dataInput && dataType === DataType.FLOAT) continue;
    rename.set(name, graph.fresh(`${name}_value`));
  }
  const renamed = (name: string): string => rename.get(name) ?? name;
  const dims = (name: string): Dimension[] => [...((facts.get(name)?.shape ?? []) as Dim[])];

  // Inputs: the batch, then the parameters; frozen and integer initializers stay constants.
  const inputDims = dims(dataInput);
  if (renamed(dataInput) !== 'input' || dataType !== DataType.FLOAT) {
    graph.input('input', 'float32', inputDims);
    const copy: NodeProto =
      dataType === DataType.FLOAT
        ? { opType: 'Identity', name: graph.fresh('node_input'), input: ['input'], output: [renamed(dataInput)] }
        : {
            opType: 'Cast',
            name: graph.fresh('node_input'),
            input: ['input'],
            output: [renamed(dataInput)],
            attribute: [{ name: 'to', type: 2, i: dataType }],
          };
    graph.addNode(copy);
  } else graph.input('input', 'float32', inputDims);
  const params: Record<string, ParameterData> = {};
  for (const name of trainable) {
    const tensor = initializers.get(name);
    if (!tensor) continue;
    const shape = tensorDims(tensor);
    graph.input(renamed(name), 'float32', shape);
    params[name] = { values: floatValues(tensor, `${WHERE} inferenceModel initializer "${name}"`), shape };
  }
  for (const [name, tensor] of initializers) if (!params[name]) graph.addInitializer({ ...tensor, name: renamed(name) });
  // Active dropout: each Dropout runs in training mode and keeps its mask for the gradient.
  const dropoutMasks = new Map<NodeProto, { mask: string; scale: string }>();
  for (const node of nodes) {
    const copy: NodeProto = {
      ...node,
      input: (node.input ?? []).map((n) => (n ? renamed(n) : n)),
      output: (node.output ?? []).map((n) => (n ? renamed(n) : n)),
    };
    if (node.opType === 'Dropout' && options.dropout === 'active') {
      const ratio = copy.input?.[1] ? (copy.input[1] as string) : graph.scalar(0.5, 'dropout_ratio');
      const mask = copy.output?.[1] ? (copy.output[1] as string) : graph.fresh('dropout_mask');
      copy.input = [copy.input?.[0] as string, ratio, graph.constant('training_mode', 'bool', [], [1])];
      copy.output = [copy.output?.[0] as string, mask];
      const scale = graph.op('Reciprocal', [graph.op('Sub', [graph.scalar(1), ratio])]);
      dropoutMasks.set(node, { mask, scale });
    } else if (node.opType === 'Dropout') {
      // Identity: without its training_mode input (a model exported in train() mode sets it) Dropout is inference mode.
      copy.input = (copy.input ?? []).slice(0, 2);
    }
    graph.addNode(copy);
  }

  // Loss and its gradient with respect to the predictions.
  const prediction = renamed(outputName);
  const predictionDims = dims(outputName);
  if (options.loss === 'softmaxCrossEntropy' && (predictionDims.length !== 2 || typeof predictionDims[1] !== 'number'))
    throw new StepsizeError(
      `${WHERE} options.loss`,
      `softmaxCrossEntropy needs [batch, classes] predictions with a fixed class count, got [${predictionDims.join(', ')}]`,
      predictionDims,
    );
  const head = appendLoss(graph, prediction, predictionDims, options.loss, options.target);

  // Reverse mode.
  const sources = new Set(trainable);
  const reached = dependents(nodes, sources);
  const gradients = new Map<string, string>([[outputName, head.gradient]]);
  const accumulate = (name: string, gradient: string): void => {
    const previous = gradients.get(name);
    gradients.set(name, previous ? graph.op('Add', [previous, gradient]) : gradient);
  };
  for (let n = nodes.length - 1; n >= 0; n -= 1) {
    const node = nodes[n] as NodeProto;
    const outputs = (node.output ?? []).map((o) => o ?? '');
    const inputs = (node.input ?? []).map((i) => i ?? '');
    if (!outputs.some((o) => gradients.has(o))) continue;
    const skip = NOT_DIFFERENTIABLE[node.opType as string] ?? [];
    const needs = inputs.map(
      (name, i) => name !== '' && reached.has(name) && !skip.includes(i) && facts.get(name)?.type === DataType.FLOAT,
    );
    if (!needs.some(Boolean)) continue;
    const dropout = dropoutMasks.get(node);
    if (dropout) {
      const g = gradients.get(outputs[0] as string);
      if (g && needs[0]) {
        const kept = graph.op('Cast', [dropout.mask], { to: { int: DataType.FLOAT } });
        accumulate(inputs[0] as string, graph.op('Mul', [graph.op('Mul', [g, kept]), dropout.scale]));
      }
      continue;
    }
    const rule = GRADIENT_RULES[node.opType as string];
    if (!rule)
      throw nodeError(
        `${WHERE} inferenceModel`,
        node,
        `is not differentiated: the operator ${node.opType} lies between a trained parameter and the output; differentiated operators: ${DIFFERENTIATED_OPERATORS.join(', ')}`,
      );
    const context: GradientContext = {
      graph,
      node: { ...node, input: inputs.map(renamed), output: outputs.map(renamed) },
      attributes: new Attributes(node),
      opset: decoded.opset,
      inputs: inputs.map(renamed),
      outputs: outputs.map(renamed),
      facts: (name) =>
        facts.get(original.has(name) ? name : ([...rename].find(([, v]) => v === name)?.[0] ?? name)) as ValueFacts | undefined,
      shape: (name) => {
        const key = [...rename].find(([, v]) => v === name)?.[0] ?? name;
        const shape = facts.get(key)?.shape;
        if (!shape) throw nodeError(`${WHERE} inferenceModel`, node, `needs the shape of "${key}", which could not be inferred`);
        return shape;
      },
      outputGradient: (index) => gradients.get(outputs[index] ?? ''),
      needs: (index) => needs[index] === true,
      fail: (message) => nodeError(`${WHERE} inferenceModel`, node, message),
    };
    rule(context).forEach((gradient, i) => {
      if (gradient && needs[i]) accumulate(inputs[i] as string, gradient);
    });
  }

  graph.output(head.value, 'loss', 'float32', []);
  graph.output(prediction, 'output', 'float32', predictionDims);
  for (const name of trainable) {
    const gradient = gradients.get(name);
    if (!gradient)
      throw new StepsizeError(`${WHERE} options.trainable`, `names "${name}", which no gradient reaches from the output: freeze it`, name);
    graph.output(gradient, `${name}_grad`, 'float32', params[name]?.shape ?? []);
  }
  return { model: graph.toModel(`stepsize training model (${options.loss}) from an inference model`), params };
}
