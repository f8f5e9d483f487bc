import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.js';

describe('GraphBuilder', () => {
  it('builds a model onnxruntime-node runs, with a dynamic batch dimension', async () => {
    const graph = new GraphBuilder('affine');
    const x = graph.input('x', 'float32', ['batch', 3]);
    const scale = graph.input('scale', 'float32', []);
    const y = graph.op('Add', [graph.op('Mul', [x, scale]), graph.constant('shift', 'float32', [3], [1, 2, 3])]);
    graph.output(graph.op('ReduceSum', [y], { keepdims: { int: 0 } }), 'total', 'float32', []);
    graph.output(y, 'y', 'float32', ['batch', 3]);
    const session = await ort.InferenceSession.create(graph.toModel());
    for (const batch of [1, 4]) {
      const input = Float32Array.from({ length: batch * 3 }, (_, i) => i);
      const out = await session.run({
        x: new ort.Tensor('float32', input, [batch, 3]),
        scale: new ort.Tensor('float32', Float32Array.of(2), []),
      });
      const expected = Array.from(input, (v, i) => v * 2 + ([1, 2, 3][i % 3] as number));
      expect(Array.from((out.y as ort.Tensor).data as Float32Array)).toEqual(expected);
      expect((out.total as ort.Tensor).data[0]).toBe(expected.reduce((a, b) => a + b, 0));
    }
    await session.release();
  });

  it('refuses a name used twice', () => {
    const graph = new GraphBuilder('g');
    graph.input('x', 'float32', [1]);
    expect(() => graph.input('x', 'float32', [1])).toThrow(/"x" is already used/);
  });
});
