import { OptimizerRunner, adamW, type Schedule } from '@stepsize/core';
import { Mlp, float32Ops, fusedKernels, type Dataset } from '@stepsize/engine';
import { StepsizeOptimizer } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
// Gradients for tf.minimize (a bundler drops tfjs-core's registration unless it is imported).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

/** One step's record. */
export interface StepRecord {
  readonly step: number;
  readonly loss: number;
  readonly learningRate: number;
}

/** Trains in small chunks so the page stays responsive and the charts update live. */
type Report = (record: StepRecord) => void;
const BATCH = 15;
const nextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function batchOf(data: Dataset, step: number): { inputs: Float32Array; targets: Float32Array } {
  const batches = Math.floor(data.examples / BATCH);
  const first = (step % batches) * BATCH;
  return { inputs: data.inputs.subarray(first * 4, (first + BATCH) * 4), targets: data.targets.subarray(first, first + BATCH) };
}

/** The engine: Mlp + OptimizerRunner with the fused kernels. */
export async function trainEngine(data: Dataset, schedule: Schedule, steps: number, report: Report): Promise<void> {
  const model = new Mlp({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 1 });
  const runner = new OptimizerRunner({
    optimizer: adamW({ learningRate: schedule, weightDecay: 0.01 }),
    ops: float32Ops,
    params: model.params,
    kernels: fusedKernels,
  });
  for (let step = 0; step < steps; step += 1) {
    const { inputs, targets } = batchOf(data, step);
    const { loss, gradients } = model.lossAndGradients({ inputs, targets, batch: BATCH, loss: 'softmaxCrossEntropy' });
    const result = runner.step(gradients);
    report({ step, loss, learningRate: result.learningRate ?? Number.NaN });
    if (step % 10 === 9) await nextFrame();
  }
}

/** tfjs on the chosen backend (webgl, or cpu where WebGL is unavailable): the same weights, a StepsizeOptimizer. */
export async function trainTfjs(data: Dataset, schedule: Schedule, steps: number, backend: string, report: Report): Promise<string> {
  const used = (await tf.setBackend(backend)) ? backend : 'cpu';
  if (used !== backend) await tf.setBackend('cpu');
  await tf.ready();
  const init = new Mlp({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 1 });
  const vars = Object.fromEntries(
    Object.entries(init.params).map(([name, values]) => [
      name,
      tf.variable(tf.tensor(values, init.shapes[name] as number[]), true, `web_${Date.now()}_${name}`),
    ]),
  );
  const optimizer = new StepsizeOptimizer(adamW({ learningRate: schedule, weightDecay: 0.01 }));
  try {
    for (let step = 0; step < steps; step += 1) {
      const { inputs, targets } = batchOf(data, step);
      const learningRate = optimizer.learningRate;
      const cost = optimizer.minimize(() => {
        const x = tf.tensor2d(inputs, [BATCH, 4]);
        const h = tf.tanh(tf.add(tf.matMul(x, vars['dense0.weight'] as tf.Variable), vars['dense0.bias'] as tf.Variable));
        const logits = tf.add(tf.matMul(h, vars['dense1.weight'] as tf.Variable), vars['dense1.bias'] as tf.Variable);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Array.from(targets), 'int32'), 3), logits) as tf.Scalar;
      }, true) as tf.Scalar;
      report({ step, loss: (await cost.data())[0] as number, learningRate });
      cost.dispose();
      if (step % 10 === 9) await nextFrame();
    }
  } finally {
    optimizer.dispose();
    Object.values(vars).forEach((v) => v.dispose());
  }
  return tf.getBackend();
}
