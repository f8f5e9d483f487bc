import { type GradientContext, type GradientRule, unbroadcast } from './gradient-context.js';

/** Gradients of the one-input elementwise operators, from the output `y` and input `x`. */
function unary(rule: (c: GradientContext, g: string, x: string, y: string) => string): GradientRule {
  return (c) => {
    const g = c.outputGradient(0);
    if (!g || !c.needs(0)) return [undefined];
    return [rule(c, g, c.inputs[0] as string, c.outputs[0] as string)];
  };
}

/** The binary operator's gradient for both operands, summed back over broadcast axes. */
function binary(
  rule: (c: GradientContext, g: string, a: string, b: string, y: string) => [string | undefined, string | undefined],
): GradientRule {
  return (c) => {
    const g = c.outputGradient(0);
    if (!g) return [undefined, undefined];
    const [a, b] = c.inputs as [string, string];
    const y = c.outputs[0] as string;
    const [ga, gb] = rule(c, g, a, b, y);
    const out = c.shape(y);
    return [
      ga && c.needs(0) ? unbroadcast(c.graph, ga, out, c.shape(a)) : undefined,
      gb && c.needs(1) ? unbroadcast(c.graph, gb, out, c.shape(b)) : undefined,
    ];
  };
}

/** Elementwise rules by operator. Conventions as PyTorch's autograd (relu'(0) = 0). */
export const elementwiseGradients: Readonly<Record<string, GradientRule>> = {
  Add: binary((_c, g) => [g, g]),
  Sub: binary((c, g) => [g, c.needs(1) ? c.graph.op('Neg', [g]) : undefined]),
  Mul: binary((c, g, a, b) => [c.needs(0) ? c.graph.op('Mul', [g, b]) : undefined, c.needs(1) ? c.graph.op('Mul', [g, a]) : undefined]),
  // d(a/b) = g / b, -g a / b² = -(g y) / b.
  Div: binary((c, g, _a, b, y) => [
    c.needs(0) ? c.graph.op('Div', [g, b]) : undefined,
    c.needs(1) ? c.graph.op('Neg', [c.graph.op('Div', [c.graph.op('Mul', [g, y]), b])]) : undefined,
  ]),
  // d(a^b) = g b a^(b-1), g y ln a.
  Pow: binary((c, g, a, b, y) => [
    c.needs(0)
      ? c.graph.op('Mul', [g, c.graph.op('Mul', [b, c.graph.op('Pow', [a, c.graph.op('Sub', [b, c.graph.scalar(1)])])])])
      : undefined,
    c.needs(1) ? c.graph.op('Mul', [g, c.graph.op('Mul', [y, c.graph.op('Log', [a])])]) : undefined,
  ]),
  Neg: unary((c, g) => c.graph.op('Neg', [g])),
  Identity: unary((_c, g) => g),
  Relu: unary((c, g, x) => c.graph.op('Where', [c.graph.op('Greater', [x, c.graph.scalar(0)]), g, c.graph.scalar(0)])),
  LeakyRelu: unary((c, g, x) =>
    c.graph.op('Where', [
      c.graph.op('Greater', [x, c.graph.scalar(0)]),
      g,
      c.graph.op('Mul', [g, c.graph.scalar(c.attributes.float('alpha', 0.01))]),
    ]),
  ),
  Tanh: unary((c, g, _x, y) => c.graph.op('Mul', [g, c.graph.op('Sub', [c.graph.scalar(1), c.graph.op('Mul', [y, y])])])),
  Sigmoid: unary((c, g, _x, y) => c.graph.op('Mul', [g, c.graph.op('Mul', [y, c.graph.op('Sub', [c.graph.scalar(1), y])])])),
  Exp: unary((c, g, _x, y) => c.graph.op('Mul', [g, y])),
  Log: unary((c, g, x) => c.graph.op('Div', [g, x])),
  Sqrt: unary((c, g, _x, y) => c.graph.op('Div', [g, c.graph.op('Mul', [y, c.graph.scalar(2)])])),
  Reciprocal: unary((c, g, _x, y) => c.graph.op('Neg', [c.graph.op('Mul', [g, c.graph.op('Mul', [y, y])])])),
  Abs: unary((c, g, x) => c.graph.op('Mul', [g, c.graph.op('Sign', [x])])),
  Softplus: unary((c, g, x) => c.graph.op('Mul', [g, c.graph.op('Sigmoid', [x])])),
  // erf'(x) = 2/√π e^(-x²).
  Erf: unary((c, g, x) =>
    c.graph.op('Mul', [
      g,
      c.graph.op('Mul', [c.graph.scalar(2 / Math.sqrt(Math.PI)), c.graph.op('Exp', [c.graph.op('Neg', [c.graph.op('Mul', [x, x])])])]),
    ]),
  ),
  Where: (c) => {
    const g = c.outputGradient(0);
    if (!g) return [undefined, undefined, undefined];
    const [condition, a, b] = c.inputs as [string, string, string];
    const out = c.shape(c.outputs[0] as string);
    const zero = c.graph.scalar(0);
    return [
      undefined,
      c.needs(1) ? unbroadcast(c.graph, c.graph.op('Where', [condition, g, zero]), out, c.shape(a)) : undefined,
      c.needs(2) ? unbroadcast(c.graph, c.graph.op('Where', [condition, zero, g]), out, c.shape(b)) : undefined,
    ];
  },
};
