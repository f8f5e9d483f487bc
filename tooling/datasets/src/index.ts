export { iris, type SplitDataset } from './iris.js';
export { collectGarbage, testRandom } from './test-random.js';
