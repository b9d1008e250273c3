/**
 * The little of HDF5 the netx reader and writer need, through h5wasm. h5wasm's node build opens
 * real files only, so bytes go through a private temporary file that is removed afterwards.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';

export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export type H5File = InstanceType<typeof h5wasm.File>;

/** A dataset's value in plain JavaScript terms: numbers, strings, or arrays of either. */
export type H5Value = number | string | number[] | string[];

export async function h5Ready(): Promise<void> {
  await h5wasm.ready;
}

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-netx-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Opens `source` (a path, or a file's bytes) read-only for `run`, and closes it afterwards. */
export async function withH5File<T>(source: string | Uint8Array, run: (file: H5File) => T): Promise<T> {
  await h5Ready();
  const open = (file: string): T => {
    const handle = new h5wasm.File(file, 'r');
    try {
      return run(handle);
    } finally {
      handle.close();
    }
  };
  if (typeof source === 'string') return open(source);
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'in.h5');
    await writeFile(file, source);
    return open(file);
  });
}

/** Builds a new HDF5 file with `fill` and returns its bytes. */
export async function buildH5File(fill: (file: H5File) => void): Promise<Uint8Array> {
  await h5Ready();
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'out.h5');
    const handle = new h5wasm.File(file, 'w');
    try {
      fill(handle);
    } finally {
      handle.close();
    }
    return new Uint8Array(await readFile(file));
  });
}

export function isGroup(entity: unknown): entity is H5Group {
  return entity instanceof h5wasm.Group;
}

export function isDataset(entity: unknown): entity is H5Dataset {
  return entity instanceof h5wasm.Dataset;
}

/** h5wasm cannot create nested paths in one call. */
export function childGroup(parent: H5Group, name: string): H5Group {
  const existing = parent.get(name);
  if (isGroup(existing)) return existing;
  const created = parent.create_group(name);
  if (!created) throw new Error(`HDF5: could not create group '${name}' in '${parent.path}'`);
  return created;
}

// Writers, with the dtypes lava-dl's slayer (h5py) writes: int64 scalars and arrays, float32
// weights, fixed-length ASCII layer types, variable-length UTF-8 neuron types.

export function writeInt(group: H5Group, name: string, value: number): void {
  group.create_dataset({ name, data: BigInt64Array.of(BigInt(value)), shape: [], dtype: '<q' });
}

export function writeInts(group: H5Group, name: string, values: readonly number[]): void {
  group.create_dataset({
    name,
    data: BigInt64Array.from(values, (v) => BigInt(v)),
    shape: [values.length],
    dtype: '<q',
  });
}

export function writeFloats(group: H5Group, name: string, values: ArrayLike<number>, shape: readonly number[]): void {
  group.create_dataset({ name, data: Float32Array.from(values), shape: [...shape], dtype: '<f' });
}

/** h5py stores a bool as an enum, which h5wasm cannot write; an int8 0/1 reads back the same in Python. */
export function writeBool(group: H5Group, name: string, value: boolean): void {
  group.create_dataset({ name, data: Int8Array.of(value ? 1 : 0), shape: [], dtype: '<b' });
}

/** One fixed-length ASCII string in a (1,) dataset: how slayer writes a layer's `type`. */
export function writeTypeString(group: H5Group, name: string, value: string): void {
  group.create_dataset({ name, data: [value], shape: [1], dtype: `A${Math.max(10, value.length)}` });
}

/** A scalar variable-length string: how h5py writes a Python str (a neuron's `type`). */
export function writeString(group: H5Group, name: string, value: string): void {
  group.create_dataset({ name, data: value });
}

function plain(value: unknown): H5Value {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (ArrayBuffer.isView(value)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
  }
  if (Array.isArray(value)) {
    const items = value.map(plain);
    if (items.every((v) => typeof v === 'string')) return items as string[];
    return items.flat() as number[];
  }
  throw new Error(`HDF5: unsupported value ${String(value)}`);
}

/** A dataset's value as numbers or strings (int64 as numbers, bools and enums as 0/1). */
export function readValue(dataset: H5Dataset): H5Value {
  return plain(dataset.value);
}

/** A numeric dataset's values, flattened row-major, with its shape. */
export function readNumbers(dataset: H5Dataset): { values: Float64Array; shape: number[] } {
  const value = dataset.value;
  const shape = dataset.shape ?? [];
  let values: Float64Array;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    values = Float64Array.of(Number(value));
  } else if (ArrayBuffer.isView(value)) {
    values = Float64Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
  } else {
    throw new Error(`HDF5: '${dataset.path}' is not numeric`);
  }
  return { values, shape };
}
