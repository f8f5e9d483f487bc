import {
  formatResults,
  optaxOptimizerCases,
  pytorchOptimizerCases,
  referenceOptimizerCases,
  runSuite,
  torchAdafactorCases,
  type ConformanceBackend,
} from '@stepsize/conformance';
import { describe, expect, it } from 'vitest';
import { conformanceBackend } from './conformance-backend.js';

const { kernels: _kernels, ...generic } = conformanceBackend;
const base: ConformanceBackend<Float32Array> = { ...generic, name: 'engine (generic)' };

describe('the engine passes the conformance suite (PyTorch optimizer trajectories)', () => {
  for (const backend of [base, { ...conformanceBackend, name: 'engine (fused kernels)' }]) {
    it(backend.name, async () => {
      const file = pytorchOptimizerCases();
      const results = await runSuite(backend, file);
      console.log(formatResults(backend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(40);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });
  }
});

describe('the engine passes the torch 2.13 and optax 0.2.8 reference trajectories', () => {
  for (const backend of [base, { ...conformanceBackend, name: 'engine (fused kernels)' }]) {
    it(backend.name, async () => {
      const results = await runSuite(backend, referenceOptimizerCases());
      console.log(formatResults(backend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(8);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });
  }
});

describe('the engine passes the optax 0.2.8 and torch 2.6 Adafactor trajectories of other option sets and shapes', () => {
  for (const backend of [base, { ...conformanceBackend, name: 'engine (fused kernels)' }]) {
    it(backend.name, async () => {
      const results = await runSuite(backend, optaxOptimizerCases());
      results.push(...(await runSuite(backend, torchAdafactorCases())));
      console.log(formatResults(backend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(20);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });
  }
});
