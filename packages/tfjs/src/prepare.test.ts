// This file imports no tfjs backend either: what `stepsize-conformance --backend tfjs` sees in a fresh process.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conformanceBackend } from './conformance-backend.js';

describe('conformanceBackend.prepare in a process without a tfjs backend', () => {
  it("loads tfjs's cpu backend (an optional peer) and activates it", async () => {
    expect(tf.engine().backendNames()).toEqual([]);
    await conformanceBackend.prepare();
    expect(tf.getBackend()).toBe('cpu');
    expect(conformanceBackend.name).toBe('tfjs (cpu)');
  });
});
