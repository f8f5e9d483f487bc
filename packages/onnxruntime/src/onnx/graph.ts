import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The ONNX opset the generated models use (loads in onnxruntime-node 1.30 and passes onnx 1.12's checker). */
export const OPSET = 17;
/** The ONNX IR version of the generated models (IR 8 carries opsets up to 18). */
export const IR_VERSION = 8;

/** A dimension: a fixed size, or a named symbolic one such as `'batch'`. */
export type Dimension = number | string;

/** Element types the builders use. */
export type ElementType = 'float32' | 'int64' | 'bool';

const ELEMENT_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** An attribute value: integer (use `{ int: n }` for integers), float, integer list, string, tensor. */
export type AttributeValue =
  | number
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly tensor: onnxProto.onnx.ITensorProto }
  | string;

function valueInfo(name: string, type: ElementType, dims: readonly Dimension[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: types.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: types.STRING, s: new TextEncoder().encode(value) };
  if ('int' in value) return { name, type: types.INT, i: value.int };
  if ('floats' in value) return { name, type: types.FLOATS, floats: [...value.floats] };
  if ('tensor' in value) return { name, type: types.TENSOR, t: value.tensor };
  return { name, type: types.INTS, ints: [...value.ints] };
}

/**
 * Builds an ONNX graph node by node with onnx-proto (the protobuf binding of
 * ONNX's own schema), and serializes it to model bytes for
 * `InferenceSession.create`. Names are unique per builder; `node` returns the
 * names of its outputs.
 *
 * @example
 * ```ts
 * const graph = new GraphBuilder('double');
 * const x = graph.input('x', 'float32', ['batch', 3]);
 * graph.output(graph.node('Add', [x, x])[0], 'y', 'float32', ['batch', 3]);
 * const bytes = graph.toModel();
 * ```
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name starting with `prefix`. */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.used.has(name)) {
      this.counter += 1;
      name = `${prefix}_${this.counter}`;
    }
    this.used.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`GraphBuilder: the name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  /** Marks names as taken (the values of a graph copied in with {@link addNode}). */
  reserve(names: Iterable<string>): void {
    for (const name of names) this.used.add(name);
  }

  /** Appends a node as it is (copied from another graph; its names must be reserved). */
  addNode(node: onnxProto.onnx.INodeProto): void {
    this.nodes.push(node);
  }

  /** Adds an initializer as it is (copied from another graph; its name must be reserved). */
  addInitializer(tensor: onnxProto.onnx.ITensorProto): void {
    this.initializers.push(tensor);
  }

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElementType, dims: readonly Dimension[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /** A constant tensor (an initializer) and returns its name. */
  constant(prefix: string, type: ElementType, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.fresh(prefix);
    const tensor: onnxProto.onnx.ITensorProto = { name, dims: [...dims], dataType: ELEMENT_TYPE[type] };
    if (type === 'float32') tensor.floatData = Array.from(values);
    else if (type === 'int64') tensor.int64Data = Array.from(values);
    else tensor.int32Data = Array.from(values, (v) => (v ? 1 : 0));
    this.initializers.push(tensor);
    return name;
  }

  /** A float32 initializer under exactly `name` (a model's weights), and returns its name. */
  initializer(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push({ name: this.claim(name), dims: [...dims], dataType: ELEMENT_TYPE.float32, floatData: Array.from(values) });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number, prefix = 'const'): string {
    return this.constant(prefix, 'float32', [], [value]);
  }

  /** An int64 vector constant (shapes, axes, indices). */
  ints(values: readonly number[], prefix = 'ints'): string {
    return this.constant(prefix, 'int64', [values.length], values);
  }

  /** Appends a node; returns the names of its `outputs` outputs (default one). */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      name: this.fresh(`node_${opType}`),
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return names;
  }

  /** One-output node (the common case). */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): string {
    return this.node(opType, inputs, attributes)[0] as string;
  }

  /** Exposes `value` as a graph output named `name` (an Identity node when the names differ). */
  output(value: string, name: string, type: ElementType, dims: readonly Dimension[]): string {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', name: this.fresh('node_Identity'), input: [value], output: [name] });
    }
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Number of nodes so far. */
  get size(): number {
    return this.nodes.length;
  }

  /** The model as ONNX protobuf bytes (opset {@link OPSET}, IR {@link IR_VERSION}). */
  toModel(docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'stepsize',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
