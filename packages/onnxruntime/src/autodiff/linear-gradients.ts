import { type GradientRule, transposeLastTwo, unbroadcast } from './gradient-context.js';

/** `MatMul` (numpy matmul with broadcast batch axes) and `Gemm` (`alpha A' B' + beta C`). */
export const linearGradients: Readonly<Record<string, GradientRule>> = {
  MatMul: (c) => {
    const g = c.outputGradient(0);
    if (!g) return [undefined, undefined];
    const [a, b] = c.inputs as [string, string];
    const shapeA = c.shape(a);
    const shapeB = c.shape(b);
    if (shapeA.length < 2 || shapeB.length < 2) throw c.fail('a 1-D MatMul operand is not differentiated yet: reshape it to 2-D');
    const out = c.shape(c.outputs[0] as string);
    const graph = c.graph;
    const batch = out.slice(0, -2);
    return [
      // dA = g Bᵀ, dB = Aᵀ g, each summed over the batch axes its operand was broadcast along.
      c.needs(0)
        ? unbroadcast(graph, graph.op('MatMul', [g, transposeLastTwo(graph, b, shapeB.length)]), [...batch, ...shapeA.slice(-2)], shapeA)
        : undefined,
      c.needs(1)
        ? unbroadcast(graph, graph.op('MatMul', [transposeLastTwo(graph, a, shapeA.length), g]), [...batch, ...shapeB.slice(-2)], shapeB)
        : undefined,
    ];
  },
  Gemm: (c) => {
    const g = c.outputGradient(0);
    if (!g) return [undefined, undefined, undefined];
    const [a, b, bias] = c.inputs as [string, string, string | undefined];
    const alpha = c.attributes.float('alpha', 1);
    const beta = c.attributes.float('beta', 1);
    const transA = c.attributes.int('transA', 0);
    const transB = c.attributes.int('transB', 0);
    const graph = c.graph;
    const scaled = (attributes: Record<string, { int: number }>): Record<string, { int: number } | number> =>
      alpha === 1 ? attributes : { ...attributes, alpha };
    let dA: string | undefined;
    let dB: string | undefined;
    if (c.needs(0)) {
      // A' = A or Aᵀ; dA' = alpha g B'ᵀ.
      dA = transA
        ? graph.op('Gemm', [b, g], scaled({ transA: { int: transB }, transB: { int: 1 } }))
        : graph.op('Gemm', [g, b], scaled({ transB: { int: transB ? 0 : 1 } }));
    }
    if (c.needs(1)) {
      // dB' = alpha A'ᵀ g.
      dB = transB
        ? graph.op('Gemm', [g, a], scaled({ transA: { int: 1 }, transB: { int: transA } }))
        : graph.op('Gemm', [a, g], scaled({ transA: { int: transA ? 0 : 1 } }));
    }
    let dC: string | undefined;
    if (bias && c.needs(2)) {
      const summed = unbroadcast(graph, g, c.shape(c.outputs[0] as string), c.shape(bias));
      dC = beta === 1 ? summed : graph.op('Mul', [summed, graph.scalar(beta)]);
    }
    return [dA, dB, dC];
  },
};
