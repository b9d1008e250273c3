/**
 * The ONNX protobuf messages (onnx-proto's static protobufjs classes, ONNX 1.10) and the few
 * builders and readers the writer, verifier and inspector share.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const { onnx } = onnxProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type ModelProto = OnnxTypes.IModelProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export type AttributeProto = OnnxTypes.IAttributeProto;

/** TensorProto.DataType values this project writes or reads the values of. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
const AttributeType = onnx.AttributeProto.AttributeType;

/** A symbolic dimension is its name; a fixed one its size. */
export type Dim = number | string;

/** protobufjs gives int64 fields as Long objects when long.js is present, as numbers otherwise. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values);
  return {
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return {
    name,
    dims: [...dims],
    dataType: DataType.INT64,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function valueInfo(name: string, elemType: number, shape: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export type AttributeValue = number | number[] | string | GraphProto | { float: number } | { tensor: TensorProto };

/** Integers and integer lists become INT/INTS; a float is spelt { float }, since 2 and 2.0 look alike in JS. */
export function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('tensor' in value) return { name, type: AttributeType.TENSOR, t: value.tensor };
  return { name, type: AttributeType.GRAPH, g: value };
}

/** An attribute's value as one short string, for the inspector. */
export function describeAttribute(attr: AttributeProto): string {
  switch (attr.type) {
    case AttributeType.INT:
      return String(toNumber(attr.i));
    case AttributeType.FLOAT:
      return String(attr.f ?? 0);
    case AttributeType.STRING:
      return new TextDecoder().decode(attr.s ?? new Uint8Array());
    case AttributeType.INTS:
      return `[${(attr.ints ?? []).map((v) => toNumber(v)).join(',')}]`;
    case AttributeType.FLOATS:
      return `[${(attr.floats ?? []).join(',')}]`;
    case AttributeType.STRINGS:
      return `[${(attr.strings ?? []).map((s) => new TextDecoder().decode(s)).join(',')}]`;
    case AttributeType.TENSOR: {
      const values = tensorValues(attr.t ?? {});
      return values && values.length === 1 ? String(values[0]) : `tensor[${(attr.t?.dims ?? []).join(',')}]`;
    }
    case AttributeType.GRAPH:
      return `graph of ${attr.g?.node?.length ?? 0} nodes`;
    default:
      return '…';
  }
}

export const elementCount = (tensor: TensorProto): number =>
  (tensor.dims ?? []).reduce<number>((n, d) => n * toNumber(d), 1);

/** The values of a float, double or integer tensor stored in the file (null for external data or other types). */
export function tensorValues(tensor: TensorProto): number[] | null {
  const count = elementCount(tensor);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // A copy: a decoded field may be a view into the whole file's buffer, at any alignment.
    const bytes = Uint8Array.from(raw);
    switch (tensor.dataType) {
      case DataType.FLOAT:
        return [...new Float32Array(bytes.buffer, 0, count)];
      case DataType.DOUBLE:
        return [...new Float64Array(bytes.buffer, 0, count)];
      case DataType.INT32:
        return [...new Int32Array(bytes.buffer, 0, count)];
      case DataType.INT64:
        return [...new BigInt64Array(bytes.buffer, 0, count)].map(Number);
      default:
        return null;
    }
  }
  if (tensor.floatData && tensor.floatData.length > 0) return [...tensor.floatData];
  if (tensor.doubleData && tensor.doubleData.length > 0) return [...tensor.doubleData];
  if (tensor.int64Data && tensor.int64Data.length > 0) return tensor.int64Data.map((v) => toNumber(v));
  if (tensor.int32Data && tensor.int32Data.length > 0) return [...tensor.int32Data];
  return count === 0 ? [] : null;
}

/** A value's dimensions as written: a size, or -1 for a symbolic or unknown one (named in `symbols`). */
export function shapeOf(info: ValueInfoProto): { shape: number[]; symbols: string[] } {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  const symbols: string[] = [];
  const shape = dims.map((d) => {
    if (d.dimValue !== null && d.dimValue !== undefined) return toNumber(d.dimValue);
    if (d.dimParam) symbols.push(d.dimParam);
    return -1;
  });
  return { shape, symbols };
}
