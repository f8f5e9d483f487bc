import { adam, sgd } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { fastMemoryBytes } from './fast-kernels.js';
import { optimizerMemoryBytes } from './optimizer-memory.js';

describe('optimizerMemoryBytes', () => {
  it('holds each parameter, its gradient, its slots and its weight average', () => {
    const sizes = { w: 1000, b: 10 };
    // Adam: expAvg and expAvgSq.
    expect(optimizerMemoryBytes({ optimizer: adam(), sizes })).toBe(fastMemoryBytes([1000, 1000, 1000, 1000, 10, 10, 10, 10]));
    expect(optimizerMemoryBytes({ optimizer: adam({ emaDecay: 0.99, amsgrad: true }), sizes })).toBe(
      fastMemoryBytes([...Array<number>(6).fill(1000), ...Array<number>(6).fill(10)]),
    );
    // Plain SGD has no slot; a group with momentum has one.
    expect(optimizerMemoryBytes({ optimizer: sgd({ learningRate: 0.1 }), sizes })).toBe(fastMemoryBytes([1000, 1000, 10, 10]));
    expect(optimizerMemoryBytes({ optimizer: sgd({ learningRate: 0.1, groups: [{ params: ['w'], momentum: 0.9 }] }), sizes })).toBe(
      fastMemoryBytes([1000, 1000, 1000, 10, 10]),
    );
  });

  it('stops at the largest fixed memory WebAssembly allows', () => {
    expect(optimizerMemoryBytes({ optimizer: adam(), sizes: { w: 2 ** 30 } })).toBe(4 * 1024 ** 3 - 128 * 1024);
  });
});
