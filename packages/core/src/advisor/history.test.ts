import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { readHistory } from './history.js';

describe('readHistory', () => {
  it('reads CSV with the documented columns, aliases, empty cells and non-finite losses', () => {
    const history = readHistory('step,loss,val_loss,lr,grad_norm,accuracy\n0,2.5,,0.1,3,0.1\n1,2,2.2,0.1,,0.2\n2,NaN,,0.1,inf,0.3\n');
    expect(history.steps).toEqual([0, 1, 2]);
    expect(history.losses).toEqual([2.5, 2, Number.NaN]);
    expect(history.validation).toEqual({ steps: [1], losses: [2.2] });
    expect(history.learningRates).toEqual([0.1, 0.1, 0.1]);
    expect(history.gradientNorms).toEqual([3, Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it('numbers rows without a step column and leaves unknown columns out', () => {
    const history = readHistory('loss\n1\n0.5\n');
    expect(history.steps).toEqual([0, 1]);
    expect(history.learningRates).toBeUndefined();
    expect(history.gradientNorms).toBeUndefined();
  });

  it("reads train()'s result: evaluations land on the step of the updates done", () => {
    const history = readHistory({
      history: [
        { step: 0, loss: 1, learningRate: 0.1, gradientNorm: 2 },
        { step: 1, loss: 0.8, learningRate: 0.1, gradientNorm: 1.5 },
      ],
      evaluations: [{ step: 2, loss: 0.9 }],
    });
    expect(history.steps).toEqual([0, 1]);
    expect(history.validation).toEqual({ steps: [2], losses: [0.9] });
  });

  it('reads a tfjs History (one point per epoch) and JSON text of it', () => {
    const tfjs = { epoch: [0, 1, 2], history: { loss: [1, 0.7, 0.6], val_loss: [1.1, 0.8, 0.75] } };
    for (const input of [tfjs, JSON.stringify(tfjs)]) {
      const history = readHistory(input);
      expect(history.losses).toEqual([1, 0.7, 0.6]);
      expect(history.validation.losses).toEqual([1.1, 0.8, 0.75]);
    }
  });

  it('reads JSON null as a non-finite loss (how JSON writes NaN)', () => {
    expect(
      readHistory([
        { step: 0, loss: 1 },
        { step: 1, loss: null },
      ]).losses,
    ).toEqual([1, Number.NaN]);
  });

  it.each([
    ['step,loss\n0,1\n0,2\n', 'history (CSV) line 3 column step'],
    ['step,loss\n0,1\n1,abc\n', 'history (CSV) line 3 column loss'],
    ['step,loss,lr\n0,1,-1\n', 'history (CSV) line 2 column lr'],
    ['step,accuracy\n0,1\n', 'history (CSV) header'],
    ['step,loss\n0,1,2\n', 'history (CSV) line 2'],
    ['{"history": [{"step": 0, "loss": 1}, {"step": 0, "loss": 2}]}', 'history.history[1].step'],
    ['[1, 2]', 'history[0]'],
    ['{oops', 'history'],
  ])('refuses %j naming %s', (input, path) => {
    try {
      readHistory(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StepsizeError);
      expect((error as StepsizeError).path).toBe(path);
    }
  });

  it('checks a LossHistory given as is, naming its arrays', () => {
    const history = readHistory({ steps: [0, 1], losses: [1, 0.5], validation: { steps: [1], losses: [0.6] } });
    expect(history.validation).toEqual({ steps: [1], losses: [0.6] });
    expect(() => readHistory({ steps: [0, 1], losses: [1, 'x'] })).toThrow('history.losses[1] must be a number');
    expect(() => readHistory({ steps: [0, 1], losses: [1] })).toThrow('history.steps must be an array as long as history.losses');
  });

  it('refuses what is not a history', () => {
    expect(() => readHistory(42)).toThrow(/must be train\(\)'s result/);
    expect(() => readHistory({ history: { loss: 'x' } })).toThrow(/history.history.loss must be an array/);
  });
});
