import { describe, expect, it } from 'vitest';
import { mlpScoring, readAccuracyOption, readModelSource } from './backend-options.js';

describe('mlpScoring', () => {
  it('scores by the loss and gives the widths of an example', () => {
    expect(mlpScoring({ inputSize: 4, layers: [16, 3], loss: 'softmaxCrossEntropy' })).toEqual({
      accuracy: { rule: 'argmax' },
      exampleWidths: { input: 4, target: 1 },
    });
    expect(mlpScoring({ inputSize: 2, layers: [5, 1], loss: 'binaryCrossEntropy' })).toEqual({
      accuracy: { rule: 'binary', threshold: 0 },
      exampleWidths: { input: 2, target: 1 },
    });
    expect(mlpScoring({ inputSize: 3, layers: [7], loss: 'mse' })).toEqual({ accuracy: undefined, exampleWidths: { input: 3, target: 7 } });
  });
});

describe('readAccuracyOption', () => {
  it('passes the valid forms through', () => {
    expect(readAccuracyOption(undefined, 'a')).toBeUndefined();
    expect(readAccuracyOption('none', 'a')).toBe('none');
    expect(readAccuracyOption({ rule: 'binary', threshold: 0.5 }, 'a')).toEqual({ rule: 'binary', threshold: 0.5 });
  });
  it.each([[{ rule: 'top5' }], [{ rule: 'binary', threshold: Number.NaN }], ['argmax'], [null], [3]])(
    'refuses %j, naming the option',
    (value) => {
      expect(() => readAccuracyOption(value, 'opts.accuracy')).toThrow(
        /^opts\.accuracy must be 'none' or \{ rule: 'argmax' \| 'binary', threshold\? \}, got /,
      );
    },
  );
});

describe('readModelSource', () => {
  it('says which source is given', () => {
    expect(readModelSource({ mlp: {} }, 'w', 'a model')).toBe('mlp');
    expect(readModelSource({ model: {}, mlp: undefined }, 'w', 'a model')).toBe('model');
  });
  it('refuses neither, both and a non-object, naming the factory', () => {
    expect(() => readModelSource({}, 'f options', 'a model')).toThrow(
      /^f options must give exactly one of mlp \(an MlpSpec\) and model \(a model\), got neither$/,
    );
    expect(() => readModelSource({ mlp: {}, model: {} }, 'f options', 'a model')).toThrow(/got both$/);
    expect(() => readModelSource(undefined, 'f options', 'a model')).toThrow(/^f options must be an options object/);
  });
});
