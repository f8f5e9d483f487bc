// The test settings every package shares. No test may depend on the machine's speed (CI runs on
// a shared, noisy 2-core machine): the timeouts only catch a hang, and the whole run has its own
// limit. Each package names its JSON report, which `npm test` sums into one line.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Where the JSON reports go: `npm test` names one directory per Node.js version (STEPSIZE_TEST_RESULTS). */
const results = process.env.STEPSIZE_TEST_RESULTS ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.test-results');

/** The vitest config of a package whose report is `<results>/<name>.json`. */
export function packageTestConfig(name, include = ['src/**/*.test.ts']) {
  return defineConfig({
    test: {
      include,
      reporters: ['default', 'json'],
      outputFile: { json: join(results, `${name}.json`) },
      testTimeout: 600_000,
      hookTimeout: 600_000,
    },
  });
}
