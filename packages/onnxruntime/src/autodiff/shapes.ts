import {
  Attributes,
  DataType,
  type DecodedModel,
  floatValues,
  integerValues,
  type NodeProto,
  type TensorProto,
  tensorDims,
  valueInfoShape,
} from './onnx-model.js';

/** A dimension: a size, or a symbol (`'batch'`) standing for a size known only at run time. */
export type Dim = number | string;

/** What is known of a value before the model runs. */
export interface ValueFacts {
  /** ONNX element type (1 float32, 7 int64, 9 bool); 0 when not known. */
  readonly type: number;
  /** Dimensions, when known. */
  readonly shape?: readonly Dim[] | undefined;
  /** The values of a small integer tensor (a shape, axes, indices), when known. */
  readonly ints?: readonly Dim[] | undefined;
  /** The values of a constant float tensor, when known. */
  readonly floats?: Float32Array | undefined;
}

/** Values at or above this in a Slice's `ends` mean "to the end". */
export const SLICE_TO_END = 2 ** 31 - 1;

let symbolCounter = 0;
function symbol(hint: string): string {
  symbolCounter += 1;
  return `${hint}_${symbolCounter}`;
}

/** The product of dimensions: a number, a lone symbol, or a fresh symbol. */
function product(dims: readonly Dim[], hint: string): Dim {
  let size = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') size *= d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return size;
  if (size === 0) return 0;
  if (symbols.length === 1 && size === 1) return symbols[0] as string;
  return symbol(hint);
}

/** `total / known` where both are products of dimensions (a Reshape's -1). */
function quotient(total: readonly Dim[], known: readonly Dim[], hint: string): Dim {
  const rest = [...total];
  let divisor = 1;
  for (const d of known) {
    if (typeof d === 'number') divisor *= d;
    else {
      const at = rest.indexOf(d);
      if (at < 0) return symbol(hint);
      rest.splice(at, 1);
    }
  }
  let size = 1;
  const symbols: string[] = [];
  for (const d of rest) {
    if (typeof d === 'number') size *= d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return divisor === 0 ? 0 : size / divisor;
  if (symbols.length === 1 && size === divisor) return symbols[0] as string;
  return symbol(hint);
}

/** Numpy broadcasting of two shapes (a symbol against a number takes the number). */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i += 1) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (typeof x === 'number') out.push(x);
    else out.push(typeof y === 'number' ? y : x);
  }
  return out;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

const UNARY = new Set([
  'Relu',
  'LeakyRelu',
  'Tanh',
  'Sigmoid',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Erf',
  'Abs',
  'Identity',
  'Softmax',
  'LogSoftmax',
  'Softplus',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Not',
  'Sign',
  'Elu',
  'HardSigmoid',
  'Round',
  'IsNaN',
  'IsInf',
  // Elementwise operators without a gradient rule: their shapes let the error name the operator.
  'Cos',
  'Sin',
  'Tan',
  'Acos',
  'Asin',
  'Atan',
  'Cosh',
  'Sinh',
  'Acosh',
  'Asinh',
  'Atanh',
  'HardSwish',
  'Selu',
  'Celu',
  'Mish',
  'Softsign',
  'ThresholdedRelu',
  'Shrink',
  'Clip',
]);
const BINARY = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Mod',
  'PRelu',
]);
const COMPARISON = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Not', 'IsNaN', 'IsInf']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceSumSquare']);

/** A constant tensor's facts. */
export function tensorFacts(tensor: TensorProto, where: string): ValueFacts {
  const dims = tensorDims(tensor);
  const type = tensor.dataType ?? 0;
  if (type === DataType.INT64 || type === DataType.INT32) {
    const count = dims.reduce((a, b) => a * b, 1);
    return { type: DataType.INT64 === type ? type : type, shape: dims, ints: count <= 64 ? integerValues(tensor, where) : undefined };
  }
  if (type === DataType.FLOAT) return { type, shape: dims, floats: floatValues(tensor, where) };
  return { type, shape: dims };
}

function integerArithmetic(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i += 1) {
    const x = a.length === 1 ? a[0] : a[i];
    const y = b.length === 1 ? b[0] : b[i];
    if (typeof x !== 'number' || typeof y !== 'number') {
      if (op === 'Mul' && (x === 1 || y === 1)) out.push(x === 1 ? (y as Dim) : (x as Dim));
      else if ((op === 'Div' && y === 1) || ((op === 'Add' || op === 'Sub') && y === 0)) out.push(x as Dim);
      else return undefined;
    } else if (op === 'Add') out.push(x + y);
    else if (op === 'Sub') out.push(x - y);
    else if (op === 'Mul') out.push(x * y);
    else if (op === 'Div') out.push(Math.trunc(x / y));
    else return undefined;
  }
  return out;
}

function poolShape(node: NodeProto, input: readonly Dim[], kernel: readonly number[], channels: Dim): Dim[] {
  const a = new Attributes(node);
  const spatial = input.length - 2;
  const strides = a.ints('strides') ?? Array(spatial).fill(1);
  const dilations = a.ints('dilations') ?? Array(spatial).fill(1);
  const pads = a.ints('pads') ?? Array(spatial * 2).fill(0);
  const autoPad = a.string('auto_pad', 'NOTSET');
  const ceil = a.int('ceil_mode', 0) === 1;
  const out: Dim[] = [input[0] as Dim, channels];
  for (let i = 0; i < spatial; i += 1) {
    const size = input[i + 2] as Dim;
    const stride = strides[i] as number;
    if (typeof size !== 'number') {
      out.push(symbol(`${node.name}_spatial`));
      continue;
    }
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(Math.ceil(size / stride));
    else {
      const padding = autoPad === 'VALID' ? 0 : (pads[i] as number) + (pads[i + spatial] as number);
      const span = (dilations[i] as number) * ((kernel[i] as number) - 1) + 1;
      const steps = (size + padding - span) / stride;
      out.push((ceil ? Math.ceil(steps) : Math.floor(steps)) + 1);
    }
  }
  return out;
}

/**
 * Infers, node by node, the element type, dimensions and (for small integer tensors) the
 * values of every value in the graph, with the graph inputs' symbolic dimensions as
 * symbols. Operators it does not know leave their outputs unknown.
 */
export function inferFacts(decoded: DecodedModel, where: string): Map<string, ValueFacts> {
  const facts = new Map<string, ValueFacts>();
  for (const [name, tensor] of decoded.initializers) facts.set(name, tensorFacts(tensor, `${where} initializer "${name}"`));
  for (const input of decoded.inputs) {
    if (facts.has(input.name as string)) continue;
    const { elemType, dims } = valueInfoShape(input);
    facts.set(input.name as string, { type: elemType, shape: dims });
  }
  for (const node of decoded.nodes) {
    const results = inferNode(node, (name) => (name ? facts.get(name) : undefined), decoded.opset, `${where} node "${node.name}"`);
    (node.output ?? []).forEach((name, i) => {
      const fact = results[i];
      if (name && fact) facts.set(name, fact);
    });
  }
  return facts;
}

function inferNode(
  node: NodeProto,
  get: (name: string | undefined) => ValueFacts | undefined,
  opset: number,
  where: string,
): (ValueFacts | undefined)[] {
  const op = node.opType as string;
  const inputs = node.input ?? [];
  const x = get(inputs[0]);
  const a = new Attributes(node);
  const shape = x?.shape;
  const floatType = x?.type ?? DataType.FLOAT;
  if (op === 'Constant') {
    const t = a.tensor('value');
    if (t) return [tensorFacts(t, where)];
    if (a.has('value_float')) return [{ type: DataType.FLOAT, shape: [], floats: Float32Array.of(a.float('value_float', 0)) }];
    if (a.has('value_int')) return [{ type: DataType.INT64, shape: [], ints: [a.int('value_int', 0)] }];
    const ints = a.ints('value_ints');
    if (ints) return [{ type: DataType.INT64, shape: [ints.length], ints }];
    return [undefined];
  }
  if (UNARY.has(op) || op === 'Dropout') {
    const type = COMPARISON.has(op) ? DataType.BOOL : floatType;
    return [
      x ? { type, shape, ints: op === 'Identity' ? x.ints : undefined, floats: op === 'Identity' ? x.floats : undefined } : undefined,
    ];
  }
  if (op === 'Cast') {
    const to = a.int('to', DataType.FLOAT);
    return [x ? { type: to, shape, ints: to === DataType.INT64 || to === DataType.INT32 ? x.ints : undefined } : undefined];
  }
  if (BINARY.has(op)) {
    const y = get(inputs[1]);
    if (!x?.shape || !y?.shape) return [undefined];
    const type = COMPARISON.has(op) ? DataType.BOOL : x.type;
    const ints = x.ints && y.ints ? integerArithmetic(op, x.ints, y.ints) : undefined;
    return [{ type, shape: broadcastShapes(x.shape, y.shape), ints }];
  }
  if (op === 'Where') {
    const y = get(inputs[1]);
    const z = get(inputs[2]);
    if (!x?.shape || !y?.shape || !z?.shape) return [undefined];
    return [{ type: y.type, shape: broadcastShapes(broadcastShapes(x.shape, y.shape), z.shape) }];
  }
  if (op === 'Shape') {
    if (!shape) return [{ type: DataType.INT64, shape: [symbol('rank')] }];
    const start = normalizeAxis(a.int('start', 0), shape.length);
    const end = a.has('end') ? normalizeAxis(a.int('end', shape.length), shape.length) : shape.length;
    const dims = shape.slice(Math.max(0, start), Math.min(shape.length, end));
    return [{ type: DataType.INT64, shape: [dims.length], ints: dims }];
  }
  if (op === 'Size') return [{ type: DataType.INT64, shape: [], ints: shape ? [product(shape, 'size')] : undefined }];
  if (op === 'Gather') {
    const indices = get(inputs[1]);
    if (!shape || !indices?.shape) return [undefined];
    const axis = normalizeAxis(a.int('axis', 0), shape.length);
    const out = [...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)];
    let ints: Dim[] | undefined;
    if (x?.ints && indices.ints && shape.length === 1) {
      ints = indices.ints.map((i) => (typeof i === 'number' ? (x.ints?.[i < 0 ? i + x.ints.length : i] as Dim) : symbol('gathered')));
    }
    return [{ type: x?.type ?? 0, shape: out, ints }];
  }
  if (op === 'Unsqueeze' || op === 'Squeeze') {
    if (!shape) return [undefined];
    const axesList = opset >= 13 ? get(inputs[1])?.ints : a.ints('axes');
    if (inputs[1] && !axesList && opset >= 13) return [undefined];
    let out: Dim[];
    if (op === 'Unsqueeze') {
      const rank = shape.length + (axesList?.length ?? 0);
      const axes = new Set((axesList ?? []).map((d) => normalizeAxis(d as number, rank)));
      out = [];
      let j = 0;
      for (let i = 0; i < rank; i += 1) out.push(axes.has(i) ? 1 : (shape[j++] as Dim));
    } else {
      const axes = axesList ? new Set(axesList.map((d) => normalizeAxis(d as number, shape.length))) : undefined;
      out = shape.filter((d, i) => (axes ? !axes.has(i) : d !== 1));
    }
    return [{ type: x?.type ?? 0, shape: out, ints: x?.ints }];
  }
  if (op === 'Concat') {
    const parts = inputs.map((name) => get(name));
    if (parts.some((p) => !p?.shape)) return [undefined];
    const first = parts[0]?.shape as readonly Dim[];
    const axis = normalizeAxis(a.int('axis', 0), first.length);
    const out = [...first];
    out[axis] = product([], '') as number;
    const along = parts.map((p) => p?.shape?.[axis] as Dim);
    out[axis] = along.every((d) => typeof d === 'number') ? (along as number[]).reduce((s, d) => s + d, 0) : symbol('concat');
    const ints = parts.every((p) => p?.ints) ? parts.flatMap((p) => p?.ints as Dim[]) : undefined;
    return [{ type: parts[0]?.type ?? 0, shape: out, ints }];
  }
  if (op === 'Slice') {
    if (!shape) return [undefined];
    const starts = get(inputs[1])?.ints;
    const ends = get(inputs[2])?.ints;
    const axes = inputs[3] ? get(inputs[3])?.ints : shape.map((_, i) => i);
    const steps = inputs[4] ? get(inputs[4])?.ints : undefined;
    if (!starts || !ends || !axes || (inputs[4] && !steps))
      return [{ type: x?.type ?? 0, shape: shape.map((d, i) => (i >= 0 ? symbol('slice') : d)) }];
    const out = [...shape];
    let ints = x?.ints ? [...x.ints] : undefined;
    axes.forEach((axisDim, k) => {
      const axis = normalizeAxis(axisDim as number, shape.length);
      const size = shape[axis] as Dim;
      const step = (steps?.[k] as number | undefined) ?? 1;
      const start = starts[k] as number;
      const end = ends[k] as number;
      if (typeof size !== 'number') {
        out[axis] = start === 0 && end >= SLICE_TO_END && step === 1 ? size : symbol('slice');
        ints = undefined;
        return;
      }
      const clamp = (v: number, low: number, high: number): number => Math.min(high, Math.max(low, v < 0 ? v + size : v));
      const from = step > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
      const to = step > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
      const count = Math.max(0, Math.ceil((to - from) / step));
      out[axis] = count;
      if (ints && shape.length === 1) ints = Array.from({ length: count }, (_, i) => ints?.[from + i * step] as Dim);
    });
    return [{ type: x?.type ?? 0, shape: out, ints }];
  }
  if (op === 'Reshape') {
    const target = get(inputs[1])?.ints;
    if (!shape || !target) return [x ? { type: x.type, shape: undefined } : undefined];
    const allowZero = a.int('allowzero', 0) === 1;
    const out = target.map((d, i) => (d === 0 && !allowZero ? (shape[i] as Dim) : d));
    const unknown = out.indexOf(-1);
    if (unknown >= 0)
      out[unknown] = quotient(
        shape,
        out.filter((_, i) => i !== unknown),
        'reshape',
      );
    return [{ type: x?.type ?? 0, shape: out, ints: x?.ints }];
  }
  if (op === 'Flatten') {
    if (!shape) return [undefined];
    const axis = normalizeAxis(a.int('axis', 1), shape.length);
    return [{ type: floatType, shape: [product(shape.slice(0, axis), 'flatten'), product(shape.slice(axis), 'flatten')] }];
  }
  if (op === 'Transpose') {
    if (!shape) return [undefined];
    const perm = a.ints('perm') ?? shape.map((_, i) => shape.length - 1 - i);
    return [{ type: floatType, shape: perm.map((p) => shape[p] as Dim) }];
  }
  if (op === 'Expand') {
    const target = get(inputs[1])?.ints;
    if (!shape || !target) return [undefined];
    return [{ type: floatType, shape: broadcastShapes(shape, target) }];
  }
  if (op === 'ConstantOfShape') {
    const target = x?.ints;
    const value = a.tensor('value');
    return [{ type: value?.dataType ?? DataType.FLOAT, shape: target ? [...target] : undefined }];
  }
  if (op === 'MatMul') {
    const y = get(inputs[1]);
    if (!shape || !y?.shape) return [undefined];
    const left = shape.length === 1 ? [1, shape[0] as Dim] : shape;
    const right = y.shape.length === 1 ? [y.shape[0] as Dim, 1] : y.shape;
    const batch = broadcastShapes(left.slice(0, -2), right.slice(0, -2));
    const out = [...batch, left[left.length - 2] as Dim, right[right.length - 1] as Dim];
    if (shape.length === 1) out.splice(out.length - 2, 1);
    if (y.shape.length === 1) out.splice(out.length - 1, 1);
    return [{ type: floatType, shape: out }];
  }
  if (op === 'Gemm') {
    const y = get(inputs[1]);
    if (!shape || !y?.shape) return [undefined];
    const m = a.int('transA', 0) ? shape[1] : shape[0];
    const n = a.int('transB', 0) ? y.shape[0] : y.shape[1];
    return [{ type: floatType, shape: [m as Dim, n as Dim] }];
  }
  if (REDUCE.has(op)) {
    if (!shape) return [undefined];
    const axesFromInput = op === 'ReduceSum' && opset >= 13;
    const axesList = axesFromInput ? (inputs[1] ? get(inputs[1])?.ints : []) : (a.ints('axes') ?? []);
    if (!axesList) return [undefined];
    const noop = a.int('noop_with_empty_axes', 0) === 1;
    if (axesList.length === 0 && noop) return [{ type: floatType, shape }];
    const axes = new Set(axesList.length === 0 ? shape.map((_, i) => i) : axesList.map((d) => normalizeAxis(d as number, shape.length)));
    const keep = a.int('keepdims', 1) === 1;
    const out: Dim[] = [];
    shape.forEach((d, i) => {
      if (!axes.has(i)) out.push(d);
      else if (keep) out.push(1);
    });
    return [{ type: floatType, shape: out }];
  }
  if (op === 'Conv') {
    const w = get(inputs[1]);
    if (!shape || !w?.shape) return [undefined];
    const kernel = a.ints('kernel_shape') ?? (w.shape.slice(2) as number[]);
    return [{ type: floatType, shape: poolShape(node, shape, kernel, w.shape[0] as Dim) }];
  }
  if (op === 'MaxPool' || op === 'AveragePool') {
    if (!shape) return [undefined];
    const out = poolShape(node, shape, a.ints('kernel_shape') ?? [], shape[1] as Dim);
    return [
      { type: floatType, shape: out },
      { type: DataType.INT64, shape: out },
    ];
  }
  if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') {
    if (!shape) return [undefined];
    return [{ type: floatType, shape: [shape[0] as Dim, shape[1] as Dim, ...shape.slice(2).map(() => 1)] }];
  }
  if (op === 'Pad') {
    const pads = opset >= 11 ? get(inputs[1])?.ints : a.ints('pads');
    if (!shape || !pads) return [undefined];
    const axesGiven = inputs[3] ? get(inputs[3])?.ints : undefined;
    if (inputs[3] && !axesGiven) return [undefined];
    const axes = axesGiven ? axesGiven.map((d) => normalizeAxis(d as number, shape.length)) : shape.map((_, i) => i);
    const out = [...shape];
    axes.forEach((axis, k) => {
      const d = out[axis] as Dim;
      const extra = (pads[k] as number) + (pads[k + axes.length] as number);
      out[axis] = typeof d === 'number' ? d + extra : extra === 0 ? d : symbol('pad');
    });
    return [{ type: floatType, shape: out }];
  }
  if (op === 'BatchNormalization' || op === 'LayerNormalization') return [x ? { type: floatType, shape } : undefined];
  return (node.output ?? []).map(() => undefined);
}
