/**
 * HDF5 as plain data, through h5wasm: a whole file read into a tree of groups and datasets
 * (dtype class, shape, values), and such a tree written back to bytes. The NIR writer, schema
 * check, importer and inspector all work on this tree, so none of them touches h5wasm's handles
 * and the tests can alter a golden file's tree and write it back.
 *
 * h5wasm's node build opens real paths (Emscripten NODERAWFS), so bytes go through a private
 * temporary file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import h5wasm, { type Entity, type Group as LibGroup } from 'h5wasm/node';
import { elementCount } from '../../src/ir/shapes.js';

/** The dtype of a dataset as the NIR rules need it. */
export type H5Dtype =
  | { class: 'float'; size: 4 | 8 }
  | { class: 'int'; size: number; signed: boolean }
  | { class: 'string' }
  | { class: 'other'; description: string };

export interface H5Dataset {
  kind: 'dataset';
  dtype: H5Dtype;
  /** [] for a scalar. */
  shape: number[];
  /** Row-major values: floats keep their width, integers are numbers, strings are strings. */
  data: Float32Array | Float64Array | number[] | string[];
  /** Write with gzip (chunked as one chunk); ignored for scalars and strings. */
  compress?: boolean;
}

export interface H5Group {
  kind: 'group';
  children: Map<string, H5Entry>;
}

/** Anything else a file can hold at a name (a link, a named datatype…): kept so the checks can name it. */
export interface H5Other {
  kind: 'other';
  description: string;
}

export type H5Entry = H5Group | H5Dataset | H5Other;

export interface H5Tree {
  root: H5Group;
  /** The file as the caller named it (a path, or a label for bytes). */
  file: string;
  bytes: number;
}

/** A file on disk (a path) or its bytes. */
export type H5Source = string | Uint8Array;

let ready: Promise<unknown> | undefined;
async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

export const group = (entries: Array<[string, H5Entry]> = []): H5Group => ({
  kind: 'group',
  children: new Map(entries),
});

export function stringData(value: string | string[], shape: number[] = []): H5Dataset {
  return { kind: 'dataset', dtype: { class: 'string' }, shape, data: Array.isArray(value) ? value : [value] };
}

export function int64Data(values: number | readonly number[], shape?: number[]): H5Dataset {
  const data = typeof values === 'number' ? [values] : [...values];
  return { kind: 'dataset', dtype: { class: 'int', size: 8, signed: true }, shape: shape ?? [data.length], data };
}

export function floatData(values: Float32Array | Float64Array, shape: number[], compress = false): H5Dataset {
  const size = values instanceof Float32Array ? 4 : 8;
  return { kind: 'dataset', dtype: { class: 'float', size }, shape, data: values, compress };
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'autosnn-h5-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeDtype(metadata: { type: number; size: number; signed?: boolean; vlen?: boolean }): H5Dtype {
  // H5T_class_t: 0 integer, 1 float, 3 string.
  if (metadata.type === 1 && (metadata.size === 4 || metadata.size === 8))
    return { class: 'float', size: metadata.size };
  if (metadata.type === 0) return { class: 'int', size: metadata.size, signed: Boolean(metadata.signed) };
  if (metadata.type === 3) return { class: 'string' };
  return { class: 'other', description: `HDF5 type class ${metadata.type}, ${metadata.size} bytes` };
}

function readValues(dtype: H5Dtype, value: unknown): H5Dataset['data'] {
  const list = (v: unknown): unknown[] =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : Array.isArray(v) ? v.flat(Infinity) : [v];
  switch (dtype.class) {
    case 'float':
      if (value instanceof Float32Array || value instanceof Float64Array) return value;
      return (dtype.size === 4 ? Float32Array : Float64Array).from(list(value) as number[]);
    case 'int':
      return list(value).map((v) => Number(v as number | bigint));
    case 'string':
      return list(value).map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)));
    case 'other':
      return [];
  }
}

function readGroup(lib: typeof h5wasm, handle: LibGroup): H5Group {
  const out = group();
  for (const name of handle.keys()) {
    const item: Entity | null = handle.get(name);
    if (item instanceof lib.Group) {
      out.children.set(name, readGroup(lib, item));
    } else if (item instanceof lib.Dataset) {
      const dtype = describeDtype(item.metadata as { type: number; size: number; signed?: boolean });
      const shape = (item.shape ?? []).map(Number);
      out.children.set(name, { kind: 'dataset', dtype, shape, data: readValues(dtype, item.value) });
    } else {
      out.children.set(name, { kind: 'other', description: item?.constructor?.name ?? 'an unreadable entry' });
    }
  }
  return out;
}

/** Reads a whole HDF5 file into a tree. `label` names bytes in messages (default '<buffer>'). */
export async function readH5(source: H5Source, label?: string): Promise<H5Tree> {
  const lib = await h5();
  const read = (file: string): H5Group => {
    const handle = new lib.File(file, 'r');
    try {
      return readGroup(lib, handle);
    } finally {
      handle.close();
    }
  };
  if (typeof source === 'string') {
    const bytes = statSync(source).size;
    return { root: read(source), file: label ?? source, bytes };
  }
  return withTempDir((dir) => {
    const file = path.join(dir, 'input.h5');
    writeFileSync(file, source);
    return { root: read(file), file: label ?? '<buffer>', bytes: source.byteLength };
  });
}

function writeGroup(target: LibGroup, tree: H5Group): void {
  for (const [name, entry] of tree.children) {
    if (entry.kind === 'group') {
      writeGroup(target.create_group(name), entry);
    } else if (entry.kind === 'dataset') {
      writeDataset(target, name, entry);
    } else {
      throw new Error(`hdf5: cannot write '${name}': ${entry.description}`);
    }
  }
}

function writeDataset(target: LibGroup, name: string, entry: H5Dataset): void {
  const { dtype, shape, data } = entry;
  const count = elementCount(shape);
  if (data.length !== count) throw new Error(`hdf5: '${name}' has ${data.length} values for shape [${shape}]`);
  // Chunking has a per-dataset cost that small arrays do not repay.
  const compress = entry.compress && shape.length > 0 && count >= 1024 && dtype.class === 'float';
  const chunked = compress ? { chunks: shape, compression: 'gzip' as const } : {};
  switch (dtype.class) {
    case 'float': {
      const values =
        dtype.size === 4 ? Float32Array.from(data as ArrayLike<number>) : Float64Array.from(data as ArrayLike<number>);
      target.create_dataset({ name, data: values, shape, dtype: dtype.size === 4 ? '<f' : '<d', ...chunked });
      return;
    }
    case 'int': {
      const numbers = data as number[];
      const [typed, code] =
        dtype.size === 8
          ? [
              dtype.signed ? BigInt64Array.from(numbers, BigInt) : BigUint64Array.from(numbers, BigInt),
              dtype.signed ? '<q' : '<Q',
            ]
          : dtype.size === 4
            ? [dtype.signed ? Int32Array.from(numbers) : Uint32Array.from(numbers), dtype.signed ? '<i' : '<I']
            : dtype.size === 2
              ? [dtype.signed ? Int16Array.from(numbers) : Uint16Array.from(numbers), dtype.signed ? '<h' : '<H']
              : [dtype.signed ? Int8Array.from(numbers) : Uint8Array.from(numbers), dtype.signed ? '<b' : '<B'];
      target.create_dataset({ name, data: typed, shape, dtype: code });
      return;
    }
    case 'string':
      // 'S' with no length: variable-length UTF-8, as h5py's string_dtype() writes.
      target.create_dataset({
        name,
        data: shape.length === 0 ? (data as string[])[0]! : (data as string[]),
        shape,
        dtype: 'S',
      });
      return;
    case 'other':
      throw new Error(`hdf5: cannot write '${name}': ${dtype.description}`);
  }
}

/** Writes a tree as an HDF5 file and returns its bytes. */
export async function writeH5(root: H5Group): Promise<Uint8Array> {
  const lib = await h5();
  return withTempDir((dir) => {
    const file = path.join(dir, 'output.h5');
    const handle = new lib.File(file, 'w');
    try {
      writeGroup(handle, root);
    } finally {
      handle.close();
    }
    return new Uint8Array(readFileSync(file));
  });
}

/** The entry at a '/'-separated path below `root`, or undefined. */
export function entryAt(root: H5Group, at: string): H5Entry | undefined {
  let entry: H5Entry | undefined = root;
  for (const part of at.split('/').filter(Boolean)) {
    if (entry?.kind !== 'group') return undefined;
    entry = entry.children.get(part);
  }
  return entry;
}
