export { iris, type SplitDataset } from './iris.js';
