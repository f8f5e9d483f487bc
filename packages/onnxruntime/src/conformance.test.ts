import {
  formatResults,
  optaxOptimizerCases,
  pytorchOptimizerCases,
  referenceOptimizerCases,
  runSuite,
  torchAdafactorCases,
} from '@stepsize/conformance';
import { describe, expect, it } from 'vitest';
import { createConformanceBackend } from './conformance-backend.js';

describe('ONNX Runtime passes the conformance suite (PyTorch optimizer trajectories)', () => {
  for (const path of ['onnx', 'engine'] as const) {
    it(`on the ${path} update path`, async () => {
      const backend = createConformanceBackend({ update: path });
      const results = await runSuite(backend, pytorchOptimizerCases());
      console.log(formatResults(backend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(40);
      const references = await runSuite(backend, referenceOptimizerCases());
      console.log(formatResults(backend.name, references));
      expect(references.length).toBeGreaterThanOrEqual(8);
      const optax = await runSuite(backend, optaxOptimizerCases());
      optax.push(...(await runSuite(backend, torchAdafactorCases())));
      console.log(formatResults(backend.name, optax));
      expect(optax.length).toBeGreaterThanOrEqual(20);
      results.push(...references, ...optax);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });
  }
});
