import { packageTestConfig } from '../../tooling/vitest.shared.mjs';

export default packageTestConfig('web', ['e2e/**/*.test.ts', 'src/**/*.test.ts']);
