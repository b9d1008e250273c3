/**
 * Reads any Lava-dl netx file (specs/formats.md, "Lava-dl netx") into a typed description:
 * the layers under /layer/0 … /layer/n−1 in order, with their type, shape, integer or float
 * weights and their neuron fields, as netx's NetDict would hand them to its layer builders.
 * Fields this reader does not name are kept in `other`, so nothing a file holds is dropped.
 */
import { open } from 'node:fs/promises';
import { FormatError } from '../../src/ir/errors.js';
import { isDataset, isGroup, readNumbers, readValue, withH5File, type H5Group, type H5Value } from './h5.js';

export interface NetxTensor {
  shape: number[];
  /** Int32Array when every value is a whole number in int32 range (netx casts them with astype(int)). */
  values: Int32Array | Float64Array;
}

export interface NetxNeuron {
  /** 'CUBA', 'LOIHI', 'SDNN', 'RF'…: netx maps CUBA and LOIHI to Lava's LIF. */
  type: string;
  iDecay?: number;
  vDecay?: number;
  vThMant?: number;
  refDelay?: number;
  gradedSpike?: boolean;
  /** Every other neuron field (theta, wgtExp, scaleRho…). */
  other: Record<string, H5Value>;
}

export interface NetxLayer {
  /** The index under /layer. */
  index: number;
  /** 'input' | 'conv' | 'dense' | 'flatten' | 'pool' | …, as the file spells it. */
  type: string;
  /** As stored: (C, H, W) or (N,); netx reverses it to (x, y, z). */
  shape: number[];
  weight?: NetxTensor;
  /** The imaginary part of a complex dense layer (`weight/imag`; `weight` then holds `weight/real`). */
  weightImag?: NetxTensor;
  bias?: NetxTensor;
  delay?: NetxTensor;
  kernelSize?: number[];
  stride?: number[];
  padding?: number[];
  dilation?: number[];
  groups?: number;
  inChannels?: number;
  outChannels?: number;
  inFeatures?: number;
  outFeatures?: number;
  neuron?: NetxNeuron;
  other: Record<string, H5Value>;
}

export interface NetxNetwork {
  layers: NetxLayer[];
  /** /simulation, when present (slayer writes Ts and tSample). */
  simulation?: Record<string, H5Value>;
  /** /autosnn, when this project wrote the file: semantics and the host-side settings. */
  autosnn?: NetxAutosnnMetadata;
}

/** What exportNetx records beside the layers (netx reads only /layer). */
export interface NetxAutosnnMetadata {
  model?: string;
  timesteps?: number;
  inputShift?: number;
  encoding?: string;
  readoutGroupSize?: number;
  classes?: number;
  /** The model's nodes behind each layer, e.g. "conv1.conv → conv1.neuron". */
  layerNodes: string[];
  /** Each conv/dense layer's own scale exponent e (weights, bias and vThMant × 2^e); 0 = the fixed rule. */
  layerShifts: number[];
  semantics: Record<string, string>;
  notes: string[];
}

const ARRAY_FIELDS = ['kernelSize', 'stride', 'padding', 'dilation'] as const;
const SCALAR_FIELDS = ['groups', 'inChannels', 'outChannels', 'inFeatures', 'outFeatures'] as const;
const TENSOR_FIELDS = ['bias', 'delay'] as const;
const NEURON_NUMBERS = ['iDecay', 'vDecay', 'vThMant', 'refDelay'] as const;

function tensor(group: H5Group, name: string, where: string): NetxTensor {
  const dataset = group.get(name);
  if (!isDataset(dataset)) throw formatError(where, `${name} is not a dataset`, 'a numeric dataset');
  const { values, shape } = readNumbers(dataset);
  const whole = values.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31);
  return { shape, values: whole ? Int32Array.from(values) : values };
}

function formatError(where: string, problem: string, expected: string): FormatError {
  return new FormatError({ file: where, problem, expected });
}

function asString(value: H5Value): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return String(value);
}

function asNumber(value: H5Value, path: string, where: string): number {
  const n = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof n !== 'number') throw formatError(where, `${path} is ${JSON.stringify(value)}`, 'a number');
  return n;
}

function asNumbers(value: H5Value, path: string, where: string): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  throw formatError(where, `${path} is ${JSON.stringify(value)}`, 'numbers');
}

/** A group's datasets by name (subgroups are skipped). */
function values(group: H5Group): Map<string, H5Value> {
  const out = new Map<string, H5Value>();
  for (const key of group.keys()) {
    const item = group.get(key);
    if (isDataset(item)) out.set(key, readValue(item));
  }
  return out;
}

function readNeuron(group: H5Group, where: string, path: string): NetxNeuron {
  const fields = values(group);
  const type = fields.get('type');
  if (type === undefined) throw formatError(where, `${path}/type is missing`, 'a neuron type such as CUBA');
  const neuron: NetxNeuron = { type: asString(type), other: {} };
  fields.delete('type');
  for (const key of NEURON_NUMBERS) {
    const value = fields.get(key);
    if (value === undefined) continue;
    neuron[key] = asNumber(value, `${path}/${key}`, where);
    fields.delete(key);
  }
  const graded = fields.get('gradedSpike');
  if (graded !== undefined) {
    neuron.gradedSpike = asNumber(graded, `${path}/gradedSpike`, where) !== 0;
    fields.delete('gradedSpike');
  }
  for (const [key, value] of fields) neuron.other[key] = value;
  return neuron;
}

function readLayer(group: H5Group, index: number, where: string): NetxLayer {
  const path = `/layer/${index}`;
  const fields = values(group);
  const type = fields.get('type');
  if (type === undefined) throw formatError(where, `${path}/type is missing`, "a layer type such as 'conv'");
  const shape = fields.get('shape');
  const layer: NetxLayer = {
    index,
    type: asString(type),
    shape: shape === undefined ? [] : asNumbers(shape, `${path}/shape`, where),
    other: {},
  };
  fields.delete('type');
  fields.delete('shape');
  for (const key of ARRAY_FIELDS) {
    const value = fields.get(key);
    if (value === undefined) continue;
    layer[key] = asNumbers(value, `${path}/${key}`, where);
    fields.delete(key);
  }
  for (const key of SCALAR_FIELDS) {
    const value = fields.get(key);
    if (value === undefined) continue;
    layer[key] = asNumber(value, `${path}/${key}`, where);
    fields.delete(key);
  }
  const weight = group.get('weight');
  if (isDataset(weight)) {
    layer.weight = tensor(group, 'weight', where);
    fields.delete('weight');
  } else if (isGroup(weight)) {
    layer.weight = tensor(weight, 'real', where);
    layer.weightImag = tensor(weight, 'imag', where);
  }
  for (const key of TENSOR_FIELDS) {
    if (!fields.has(key)) continue;
    layer[key] = tensor(group, key, where);
    fields.delete(key);
  }
  const neuron = group.get('neuron');
  if (isGroup(neuron)) layer.neuron = readNeuron(neuron, where, `${path}/neuron`);
  for (const [key, value] of fields) layer.other[key] = value;
  return layer;
}

function readAutosnn(group: H5Group): NetxAutosnnMetadata {
  const fields = values(group);
  const number = (key: string): number | undefined => {
    const v = fields.get(key);
    return typeof v === 'number' ? v : undefined;
  };
  const text = (key: string): string | undefined => {
    const v = fields.get(key);
    return v === undefined ? undefined : asString(v);
  };
  const strings = (value: H5Value | undefined): string[] =>
    value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
  const semantics: Record<string, string> = {};
  const semanticsGroup = group.get('semantics');
  if (isGroup(semanticsGroup)) for (const [key, value] of values(semanticsGroup)) semantics[key] = asString(value);
  const shifts = fields.get('layerShifts');
  const meta: NetxAutosnnMetadata = {
    layerNodes: strings(fields.get('layerNodes')),
    layerShifts: shifts === undefined ? [] : typeof shifts === 'number' ? [shifts] : (shifts as number[]).map(Number),
    semantics,
    notes: strings(fields.get('notes')),
  };
  const model = text('model');
  if (model !== undefined) meta.model = model;
  const encoding = text('encoding');
  if (encoding !== undefined) meta.encoding = encoding;
  for (const key of ['timesteps', 'inputShift', 'readoutGroupSize', 'classes'] as const) {
    const value = number(key);
    if (value !== undefined) meta[key] = value;
  }
  return meta;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * HDF5 opens anything and fails later with an unhelpful message (or none), so check the
 * superblock signature first: at 0, or after a user block of 512·2^k bytes.
 */
async function checkHdf5(source: string | Uint8Array, where: string): Promise<void> {
  let head: Uint8Array;
  if (typeof source === 'string') {
    const handle = await open(source, 'r').catch((error: NodeJS.ErrnoException) => {
      throw formatError(where, `cannot be opened (${error.code ?? error.message})`, 'a readable netx file');
    });
    try {
      head = new Uint8Array(4096);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } else {
    head = source.subarray(0, 4096);
  }
  for (const at of [0, 512, 1024, 2048]) {
    if (SIGNATURE.every((byte, i) => head[at + i] === byte)) return;
  }
  throw formatError(where, 'no HDF5 signature', 'an HDF5 file (netx networks are HDF5)');
}

/** Parses a netx file: a path, or the file's bytes. */
export async function readNetx(source: string | Uint8Array): Promise<NetxNetwork> {
  const where = typeof source === 'string' ? source : '<netx bytes>';
  await checkHdf5(source, where);
  return withH5File(source, (file) => {
    const layerGroup = file.get('layer');
    if (!isGroup(layerGroup)) throw formatError(where, 'no /layer group', 'a netx network: /layer/0 … /layer/n−1');
    const keys = layerGroup.keys();
    const indices = keys.map(Number).sort((a, b) => a - b);
    indices.forEach((value, i) => {
      if (value !== i) {
        throw formatError(where, `/layer holds ${keys.join(', ')}`, 'layers numbered 0 … n−1 without gaps');
      }
    });
    const layers = indices.map((index) => {
      const group = layerGroup.get(String(index));
      if (!isGroup(group)) throw formatError(where, `/layer/${index} is not a group`, 'one group per layer');
      return readLayer(group, index, where);
    });
    const network: NetxNetwork = { layers };
    const simulation = file.get('simulation');
    if (isGroup(simulation)) network.simulation = Object.fromEntries(values(simulation));
    const autosnn = file.get('autosnn');
    if (isGroup(autosnn)) network.autosnn = readAutosnn(autosnn);
    return network;
  });
}
