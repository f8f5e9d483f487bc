export { float32Ops } from './ops.js';
