import { type GradientRule, transposeLastTwo, unbroadcast } from './gradient-context.js';
import { broadcastShapes } from './shapes.js';

/** `MatMul` (numpy matmul with broadcast batch axes) and `Gemm` (`alpha A' B' + beta C`). */
export const linearGradients: Readonly<Record<string, GradientRule>> = {
  MatMul: (c) => {
    const g = c.outputGradient(0);
    if (!g) return [undefined, undefined];
    const graph = c.graph;
    const [a, b] = c.inputs as [string, string];
    // numpy's 1-D operands: a [k] is a [1,k] whose row axis the output drops, b [k] a [k,1]
    // whose column axis it drops; the gradients are taken on the 2-D forms, then squeezed.
    const vectorA = c.shape(a).length === 1;
    const vectorB = c.shape(b).length === 1;
    const shapeA = vectorA ? [1, ...c.shape(a)] : c.shape(a);
    const shapeB = vectorB ? [...c.shape(b), 1] : c.shape(b);
    const left = vectorA ? graph.op('Unsqueeze', [a, graph.ints([0], 'axes')]) : a;
    const right = vectorB ? graph.op('Unsqueeze', [b, graph.ints([1], 'axes')]) : b;
    let gradient = vectorB ? graph.op('Unsqueeze', [g, graph.ints([-1], 'axes')]) : g;
    if (vectorA) gradient = graph.op('Unsqueeze', [gradient, graph.ints([-2], 'axes')]);
    const batch = broadcastShapes(shapeA.slice(0, -2), shapeB.slice(0, -2));
    // dA = g Bᵀ, dB = Aᵀ g, each summed over the batch axes its operand was broadcast along.
    let dA: string | undefined;
    let dB: string | undefined;
    if (c.needs(0)) {
      dA = unbroadcast(
        graph,
        graph.op('MatMul', [gradient, transposeLastTwo(graph, right, shapeB.length)]),
        [...batch, ...shapeA.slice(-2)],
        shapeA,
      );
      if (vectorA) dA = graph.op('Squeeze', [dA, graph.ints([0], 'axes')]);
    }
    if (c.needs(1)) {
      dB = unbroadcast(
        graph,
        graph.op('MatMul', [transposeLastTwo(graph, left, shapeA.length), gradient]),
        [...batch, ...shapeB.slice(-2)],
        shapeB,
      );
      if (vectorB) dB = graph.op('Squeeze', [dB, graph.ints([1], 'axes')]);
    }
    return [dA, dB];
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
