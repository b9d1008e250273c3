/** Element types the engine exchanges with JS, named as the native addon names them. */
export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/** The typed array that holds each dtype's elements when data crosses into JS. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  /** Raw IEEE half bits. */
  float16: Uint16Array;
  /** Raw bfloat16 bits. */
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  /** One byte per element, 0 or 1. */
  bool: Uint8Array;
}

export type EngineTypedArray = TypedArrayFor[DType];

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** The dtype a typed array's elements are, when a caller gives data without naming one. */
export function dtypeOfTypedArray(data: EngineTypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError('a Uint16Array holds raw float16 or bfloat16 bits: name the dtype');
}

/** Views an ArrayBuffer as the typed array for `dtype` (no copy). */
export function viewAs<D extends DType>(dtype: D, buffer: ArrayBuffer): TypedArrayFor[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer) as TypedArrayFor[D];
    case 'float64':
      return new Float64Array(buffer) as TypedArrayFor[D];
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer) as TypedArrayFor[D];
    case 'int64':
      return new BigInt64Array(buffer) as TypedArrayFor[D];
    case 'int32':
      return new Int32Array(buffer) as TypedArrayFor[D];
    default:
      return new Uint8Array(buffer) as TypedArrayFor[D];
  }
}

/** Converts JS numbers into a fresh typed array of `dtype` (float16/bfloat16 excluded). */
export function typedArrayFromNumbers(dtype: DType, values: readonly number[]): EngineTypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => {
        if (!Number.isInteger(v)) throw new RangeError(`int64 data must be integers, got ${v}`);
        return BigInt(v);
      });
    case 'int32':
      return Int32Array.from(values, (v) => {
        if (!Number.isInteger(v)) throw new RangeError(`int32 data must be integers, got ${v}`);
        return v;
      });
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new TypeError(`${dtype} data from numbers: create float32 and convert with .to('${dtype}')`);
  }
}
