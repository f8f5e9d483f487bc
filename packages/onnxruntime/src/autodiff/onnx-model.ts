import { StepsizeError } from '@stepsize/core';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX protobuf types (onnx-proto's interfaces). */
export type NodeProto = onnxProto.onnx.INodeProto;
/** ONNX tensor (an initializer or a `Constant`'s value). */
export type TensorProto = onnxProto.onnx.ITensorProto;
/** ONNX attribute. */
export type AttributeProto = onnxProto.onnx.IAttributeProto;
/** ONNX graph input or output description. */
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX element type codes used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** An int64 protobuf value (a `Long` or a number) as a JavaScript number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return Number(String(value));
}

/** The model's graph, decoded, and its default-domain opset. */
export interface DecodedModel {
  readonly model: onnxProto.onnx.ModelProto;
  readonly nodes: readonly NodeProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  readonly initializers: ReadonlyMap<string, TensorProto>;
  readonly opset: number;
}

/** Decodes ONNX model bytes; errors name `where`. */
export function decodeModel(bytes: Uint8Array, where: string): DecodedModel {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    throw new StepsizeError(where, 'must be the bytes of an ONNX model (a non-empty Uint8Array)', bytes);
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new StepsizeError(where, `is not an ONNX model: ${(error as Error).message}`, bytes.length);
  }
  const graph = model.graph;
  if (!graph?.node || graph.node.length === 0) throw new StepsizeError(where, 'holds no graph nodes', bytes.length);
  const domain = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = domain ? toNumber(domain.version) : 0;
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer ?? []) initializers.set(tensor.name as string, tensor);
  return { model, nodes: graph.node, inputs: graph.input ?? [], outputs: graph.output ?? [], initializers, opset };
}

/** A tensor's dimensions. */
export function tensorDims(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map(toNumber);
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function rawView(tensor: TensorProto): DataView | undefined {
  const raw = tensor.rawData;
  if (!raw || raw.length === 0) return undefined;
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** A float32 tensor's values (from `float_data` or little-endian `raw_data`). */
export function floatValues(tensor: TensorProto, where: string): Float32Array {
  if (tensor.dataType !== DataType.FLOAT)
    throw new StepsizeError(where, `must be a float32 tensor, got ONNX data type ${tensor.dataType}`, tensor.dataType);
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new StepsizeError(where, 'is stored in an external data file: embed the weights in the model', tensor.name);
  const count = elementCount(tensorDims(tensor));
  const view = rawView(tensor);
  const values = new Float32Array(count);
  if (view) {
    if (view.byteLength !== count * 4)
      throw new StepsizeError(where, `holds ${view.byteLength} bytes for ${count} float32 values`, tensor.name);
    for (let i = 0; i < count; i += 1) values[i] = view.getFloat32(i * 4, true);
  } else {
    const data = tensor.floatData ?? [];
    if (data.length !== count) throw new StepsizeError(where, `holds ${data.length} values for ${count} elements`, tensor.name);
    values.set(data);
  }
  return values;
}

/** An integer tensor's values (int64 or int32), as numbers. */
export function integerValues(tensor: TensorProto, where: string): number[] {
  const count = elementCount(tensorDims(tensor));
  const view = rawView(tensor);
  if (tensor.dataType === DataType.INT64) {
    if (view) return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    return (tensor.int64Data ?? []).map(toNumber);
  }
  if (tensor.dataType === DataType.INT32) {
    if (view) return Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    return [...(tensor.int32Data ?? [])];
  }
  throw new StepsizeError(where, `must be an integer tensor, got ONNX data type ${tensor.dataType}`, tensor.dataType);
}

/** Reads a node's attributes. */
export class Attributes {
  private readonly byName: Map<string, AttributeProto>;

  constructor(readonly node: NodeProto) {
    this.byName = new Map((node.attribute ?? []).map((a) => [a.name as string, a]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? toNumber(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? (a.f as number) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(toNumber) : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  tensor(name: string): TensorProto | undefined {
    return this.byName.get(name)?.t ?? undefined;
  }
}

/** A value info's element type and dimensions (`dim_param` names kept as strings). */
export function valueInfoShape(info: ValueInfoProto): { elemType: number; dims: (number | string)[] | undefined } {
  const tensor = info.type?.tensorType;
  const dims = tensor?.shape?.dim?.map((d, i) =>
    d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : `${info.name}_dim${i}`,
  );
  return { elemType: tensor?.elemType ?? 0, dims: tensor?.shape ? dims : undefined };
}
