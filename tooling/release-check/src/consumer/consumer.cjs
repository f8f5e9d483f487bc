// Run inside the fresh consumer project: every package loads with `require` (Node >= 20.19 loads
// ESM-only packages with require when their exports map uses "default") and works.
const core = require('@stepsize/core');
const coreNode = require('@stepsize/core/node');
const engine = require('@stepsize/engine');
const conformance = require('@stepsize/conformance');
const tfjs = require('@stepsize/tfjs');
const onnx = require('@stepsize/onnxruntime');

const optimizer = core.sgd({ learningRate: core.linear({ initialValue: 0.1, endValue: 0.01, steps: 4 }) });
const params = { w: Float32Array.of(1, -2, 3) };
const runner = new core.OptimizerRunner({ optimizer, ops: engine.float32Ops, params, kernels: engine.fusedKernels });
for (let step = 0; step < 4; step += 1) runner.step({ w: Float32Array.of(1, 1, -1) });
console.log(
  JSON.stringify({
    w: Array.from(runner.params.w),
    exports: {
      core: typeof core.scheduleFromJSON,
      coreNode: typeof coreNode.writeJsonFileAtomic,
      engine: typeof engine.engineTrainingBackend,
      conformance: typeof conformance.runSuite,
      tfjs: typeof tfjs.StepsizeOptimizer,
      train: typeof core.train,
      onnxruntime: typeof onnx.onnxruntimeTrainingBackend,
    },
  }),
);
