import { StepsizeError } from '@stepsize/core';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph.js';
import { type BuildTrainingModelOptions, buildTrainingModel } from './build-training-model.js';
import { DIFFERENTIATED_OPERATORS } from './rules.js';
import { expectGradients, inferenceModel, randomSource, randomTensor } from './test-support/finite-differences.js';

const DIMS = ['batch', 4];
const random = randomSource(167);

/** The error `build` throws (failing the test when it throws none, or another kind). */
function thrown(build: () => unknown): StepsizeError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(StepsizeError);
    return error as StepsizeError;
  }
  throw new Error('expected buildTrainingModel to throw');
}

/** `op(x · w)` with the node named `name`, then `· v` when `followed` (the operator inside the path, not at its end). */
function onPath(op: string, name: string, followed: boolean): Uint8Array {
  return inferenceModel(DIMS, (graph, x) => {
    const scaled = graph.op('Mul', [x, graph.initializer('w', [4], [0.5, -1, 1.5, 2])]);
    const activated = graph.fresh('activated');
    graph.addNode({ opType: op, name, input: [scaled], output: [activated] });
    const out = followed ? graph.op('Mul', [activated, graph.initializer('v', [4], [1, 2, 3, 4])]) : activated;
    graph.output(out, 'y', 'float32', DIMS);
  });
}

/** `x · w`: the simplest trainable model. */
const simple = (): Uint8Array =>
  inferenceModel(DIMS, (graph, x) => {
    graph.output(graph.op('Mul', [x, graph.initializer('w', [4], [0.5, -1, 1.5, 2])]), 'y', 'float32', DIMS);
  });

describe('buildTrainingModel: an operator without a gradient rule', () => {
  for (const [op, name, followed] of [
    ['Cos', 'cosine_of_the_weights', false],
    ['HardSwish', 'activation_3', true],
  ] as const)
    it(`${op} between a parameter and the output${followed ? ' (inside the path)' : ''}: an error naming it, its node and the differentiated operators`, () => {
      expect(DIFFERENTIATED_OPERATORS).not.toContain(op);
      const error = thrown(() => buildTrainingModel(onPath(op, name, followed), { loss: 'mse' }));
      expect(error.message).toContain(`buildTrainingModel inferenceModel node "${name}" (${op})`);
      expect(error.message).toContain(`is not differentiated: the operator ${op} lies between a trained parameter and the output`);
      expect(error.message).toContain(`differentiated operators: ${DIFFERENTIATED_OPERATORS.join(', ')}`);
      for (const supported of ['Conv', 'LayerNormalization', 'MatMul', 'Softmax']) {
        expect(DIFFERENTIATED_OPERATORS).toContain(supported);
        expect(error.message).toContain(supported);
      }
      expect(error.value).toBe(op);
    });

  it('Cos off the path: of the data, of a frozen constant, on a branch to a second output; the gradients still right', async () => {
    const model = inferenceModel(DIMS, (graph, x) => {
      const scaled = graph.op('Mul', [x, graph.initializer('w', [4], [0.5, -1, 1.5, 2])]);
      const ofData = graph.op('Cos', [x]);
      const ofFrozen = graph.op('Cos', [graph.initializer('frozen_shift', [4], [0.1, 0.2, 0.3, 0.4])]);
      graph.output(graph.op('Add', [graph.op('Add', [scaled, ofData]), ofFrozen]), 'y', 'float32', DIMS);
      const branch = graph.op('HardSwish', [graph.op('Cos', [graph.initializer('unused', [4], [1, 2, 3, 4])])]);
      graph.output(branch, 'z', 'float32', [4]);
    });
    const { params } = buildTrainingModel(model, { loss: 'mse', frozen: ['frozen_shift'] });
    expect(Object.keys(params)).toEqual(['w']);
    await expectGradients('Cos off the path', { model, input: randomTensor(random, [2, 4]), options: { frozen: ['frozen_shift'] } });
  });
});

describe('buildTrainingModel: errors in the options and the model', () => {
  it('trainable naming an initializer the model does not have', () => {
    const error = thrown(() => buildTrainingModel(simple(), { loss: 'mse', trainable: ['w', 'missing'] }));
    expect(error.message).toBe(
      'buildTrainingModel options.trainable names "missing", which is not a float32 initializer of the model (it has: w)',
    );
  });

  it('trainable and frozen together', () => {
    const error = thrown(() => buildTrainingModel(simple(), { loss: 'mse', trainable: ['w'], frozen: [] }));
    expect(error.message).toBe('buildTrainingModel options give trainable or frozen, not both');
  });

  it('a loss it does not know', () => {
    const options = { loss: 'hinge' } as unknown as BuildTrainingModelOptions;
    const error = thrown(() => buildTrainingModel(simple(), options));
    expect(error.message).toBe('buildTrainingModel options.loss must be "mse", "softmaxCrossEntropy", "binaryCrossEntropy", got "hinge"');
  });

  it('target "oneHot" with the mse loss', () => {
    const error = thrown(() => buildTrainingModel(simple(), { loss: 'mse', target: 'oneHot' }));
    expect(error.message).toBe('buildTrainingModel options.target applies to the softmaxCrossEntropy loss only');
  });

  it('a model of opset 12', () => {
    const decoded = onnxProto.onnx.ModelProto.decode(simple());
    decoded.opsetImport = [{ domain: '', version: 12 }];
    const error = thrown(() => buildTrainingModel(onnxProto.onnx.ModelProto.encode(decoded).finish(), { loss: 'mse' }));
    expect(error.message).toBe(
      'buildTrainingModel inferenceModel must use ONNX opset 13 to 17, got 12 (re-export it with opset_version=17)',
    );
  });

  it('a model without a data input', () => {
    const graph = new GraphBuilder('constant');
    graph.output(graph.op('Mul', [graph.initializer('w', [4], [1, 2, 3, 4]), graph.scalar(2)]), 'y', 'float32', [4]);
    const error = thrown(() => buildTrainingModel(graph.toModel(), { loss: 'mse' }));
    expect(error.message).toBe('buildTrainingModel inferenceModel must have one data input besides its initializers, got 0: ');
  });

  it('a BatchNormalization running mean listed as trainable', () => {
    const model = inferenceModel(['batch', 3], (graph, x) => {
      const inputs = [
        x,
        graph.initializer('scale', [3], [1, 1.5, 0.5]),
        graph.initializer('bias', [3], [0, 0.1, -0.1]),
        graph.initializer('running_mean', [3], [0.2, -0.3, 0.1]),
        graph.initializer('running_var', [3], [1, 2, 0.5]),
      ];
      graph.output(graph.op('BatchNormalization', inputs), 'y', 'float32', ['batch', 3]);
    });
    // Statistics carry no gradient (BatchNormalization's inputs 3 and 4), so none reaches the running mean.
    const error = thrown(() => buildTrainingModel(model, { loss: 'mse', trainable: ['scale', 'running_mean'] }));
    expect(error.message).toBe(
      'buildTrainingModel options.trainable names "running_mean", which no gradient reaches from the output: freeze it',
    );
  });
});
