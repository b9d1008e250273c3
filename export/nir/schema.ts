/**
 * A strict check of NIR files, mirroring what the reference `nir` reader (neuromorphs/NIR,
 * nir/serialization.py `read` with its default type check) accepts, so that a file this project
 * writes or reads is one every NIR toolchain loads:
 *
 *   - /version is a scalar string and /node a node group; every node group has a scalar string
 *     `type` naming a node class the reader knows;
 *   - the reader passes every dataset of a node to its class as a keyword, so a dataset that is
 *     not a field of the class is an error; required fields must be there;
 *   - neuron parameters are float arrays of at least one dimension, all of one shape; weights
 *     have their rank; integer fields are int64 with their shapes (pairs (2,), scalars ());
 *   - edges are an (E, 2) string array naming nodes of the graph;
 *   - types propagate from the Input nodes through the edges as the reader's `infer_types` does
 *     (including its quirks: a convolution's output is computed from weight.shape[2] on both
 *     axes, and its input channels are weight.shape[1]), and every edge must then join equal
 *     shapes, so Output shapes and neuron parameter shapes must be the incoming ones.
 *
 * Stricter than the reader in two ways, both stated in messages: integer fields must be int64,
 * and metadata must be a group. The check never looks inside metadata.
 */
import { readH5, type H5Dataset, type H5Entry, type H5Group, type H5Source, type H5Tree } from './hdf5.js';

export interface NirProblem {
  file: string;
  /** HDF5 path, e.g. /node/nodes/1/tau. */
  path: string;
  problem: string;
  expected: string;
}

export const formatProblem = (p: NirProblem): string => `${p.file}: ${p.path}: ${p.problem} (expected ${p.expected})`;

/** A NIR file that breaks the rules: the first problem in the message, all of them in `problems`. */
export class NirSchemaError extends Error {
  override readonly name = 'NirSchemaError';
  readonly file: string;
  readonly path: string;
  readonly problem: string;
  readonly expected: string;
  constructor(readonly problems: NirProblem[]) {
    const first = problems[0]!;
    const more =
      problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(`${formatProblem(first)}${more}`);
    this.file = first.file;
    this.path = first.path;
    this.problem = first.problem;
    this.expected = first.expected;
  }
}

type FieldKind =
  | 'param'
  | 'weight'
  | 'conv1d-weight'
  | 'conv2d-weight'
  | 'bias'
  | 'pair'
  | 'padding2d'
  | 'int'
  | 'int-or-single'
  | 'padding1d'
  | 'shape'
  | 'graph-nodes'
  | 'edges';

interface FieldSpec {
  kind: FieldKind;
  required: boolean;
}

const req = (kind: FieldKind): FieldSpec => ({ kind, required: true });
const opt = (kind: FieldKind): FieldSpec => ({ kind, required: false });

/** Each node class the reference reader builds, with the datasets it takes (as nir.write writes them). */
export const NIR_NODE_TYPES: Record<string, Record<string, FieldSpec>> = {
  Input: { shape: req('shape') },
  Output: { shape: req('shape') },
  Affine: { weight: req('weight'), bias: req('bias') },
  Linear: { weight: req('weight') },
  Scale: { scale: req('param') },
  Conv1d: {
    input_shape: req('int-or-single'),
    weight: req('conv1d-weight'),
    stride: req('int-or-single'),
    padding: req('padding1d'),
    dilation: req('int-or-single'),
    groups: req('int'),
    bias: req('bias'),
  },
  Conv2d: {
    input_shape: req('pair'),
    weight: req('conv2d-weight'),
    stride: req('pair'),
    padding: req('padding2d'),
    dilation: req('pair'),
    groups: req('int'),
    bias: req('bias'),
  },
  SumPool2d: { kernel_size: req('pair'), stride: req('pair'), padding: req('pair') },
  AvgPool2d: { kernel_size: req('pair'), stride: req('pair'), padding: req('pair') },
  Flatten: { input_type: opt('shape'), start_dim: opt('int'), end_dim: opt('int') },
  Delay: { delay: req('param') },
  Threshold: { threshold: req('param') },
  I: { r: req('param') },
  IF: { r: req('param'), v_threshold: req('param'), v_reset: opt('param') },
  LI: { tau: req('param'), r: req('param'), v_leak: req('param') },
  LIF: { tau: req('param'), r: req('param'), v_leak: req('param'), v_threshold: req('param'), v_reset: opt('param') },
  CubaLI: { tau_syn: req('param'), tau_mem: req('param'), r: req('param'), v_leak: req('param'), w_in: opt('param') },
  CubaLIF: {
    tau_syn: req('param'),
    tau_mem: req('param'),
    r: req('param'),
    v_leak: req('param'),
    v_threshold: req('param'),
    v_reset: opt('param'),
    w_in: opt('param'),
  },
  NIRGraph: { nodes: req('graph-nodes'), edges: req('edges') },
};

const show = (shape: readonly number[] | undefined): string => (shape ? `[${shape.join(', ')}]` : 'undefined');
const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);

function describeDtype(d: H5Dataset): string {
  const t = d.dtype;
  switch (t.class) {
    case 'float':
      return `float${t.size * 8}`;
    case 'int':
      return `${t.signed ? 'int' : 'uint'}${t.size * 8}`;
    case 'string':
      return 'a string';
    case 'other':
      return t.description;
  }
}

const isInt64 = (d: H5Dataset): boolean => d.dtype.class === 'int' && d.dtype.size === 8 && d.dtype.signed;
export const numbers = (d: H5Dataset): number[] => Array.from(d.data as ArrayLike<number>);
export const strings = (d: H5Dataset): string[] => (d.dtype.class === 'string' ? (d.data as string[]) : []);

/** A node group's `type`, or undefined when it has none that reads as a string. */
export function nodeType(node: H5Group): string | undefined {
  const t = node.children.get('type');
  return t?.kind === 'dataset' && t.dtype.class === 'string' && t.shape.length === 0
    ? (t.data as string[])[0]
    : undefined;
}

export function dataset(node: H5Group, name: string): H5Dataset | undefined {
  const entry = node.children.get(name);
  return entry?.kind === 'dataset' ? entry : undefined;
}

/** The graph's edges as pairs (only when the edges dataset is well formed). */
export function graphEdges(graph: H5Group): Array<[string, string]> {
  const d = dataset(graph, 'edges');
  if (!d || d.dtype.class !== 'string') return [];
  const list = d.data as string[];
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
  return pairs;
}

export function graphNodes(graph: H5Group): Map<string, H5Group> {
  const nodes = graph.children.get('nodes');
  const out = new Map<string, H5Group>();
  if (nodes?.kind !== 'group') return out;
  for (const [name, entry] of nodes.children) if (entry.kind === 'group') out.set(name, entry);
  return out;
}

/**
 * An order for a graph's nodes: a depth-first walk from `starts` (following edges in file
 * order) marks the edges that close a cycle (`back`); the rest are ordered topologically,
 * choosing among ready nodes the one whose first incoming edge comes first in the file (so a
 * file written in topological order comes back in that order; then by name, numbers numerically).
 */
export function orderGraph(
  names: readonly string[],
  edges: ReadonlyArray<readonly [string, string]>,
  starts: readonly string[],
): { order: string[]; back: Set<number>; unreachable: string[] } {
  const out = new Map<string, Array<[string, number]>>();
  edges.forEach(([a, b], i) => out.set(a, [...(out.get(a) ?? []), [b, i]]));
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<number>();
  for (const start of starts) {
    if (state.has(start)) continue;
    const stack: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const list = out.get(top.node) ?? [];
      if (top.next >= list.length) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      const [next, index] = list[top.next++]!;
      if (state.get(next) === 'open') back.add(index);
      else if (!state.has(next)) {
        state.set(next, 'open');
        stack.push({ node: next, next: 0 });
      }
    }
  }
  const unreachable = names.filter((n) => !state.has(n));
  const rank = new Map<string, number>(starts.map((s) => [s, -1]));
  edges.forEach(([, b], i) => {
    if (!back.has(i) && !rank.has(b)) rank.set(b, i);
  });
  const waiting = new Map(names.filter((n) => state.has(n)).map((n) => [n, 0]));
  edges.forEach(([a, b], i) => {
    if (!back.has(i) && waiting.has(a) && waiting.has(b)) waiting.set(b, waiting.get(b)! + 1);
  });
  const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  const order: string[] = [];
  while (waiting.size > 0) {
    let best: string | undefined;
    for (const [n, count] of waiting) {
      if (count !== 0) continue;
      const better =
        best === undefined ||
        (rank.get(n) ?? Infinity) < (rank.get(best) ?? Infinity) ||
        ((rank.get(n) ?? Infinity) === (rank.get(best) ?? Infinity) && byName(n, best) < 0);
      if (better) best = n;
    }
    if (best === undefined) break;
    waiting.delete(best);
    order.push(best);
    edges.forEach(([a, b], i) => {
      if (a === best && !back.has(i) && waiting.has(b)) waiting.set(b, waiting.get(b)! - 1);
    });
  }
  return { order, back, unreachable };
}

class Problems {
  readonly list: NirProblem[] = [];
  constructor(readonly file: string) {}
  add(path: string, problem: string, expected: string): void {
    this.list.push({ file: this.file, path, problem, expected });
  }
}

const INT64 = 'int64 (nir.write stores Python and NumPy integers as int64)';

function checkDataset(problems: Problems, at: string, kind: FieldKind, d: H5Dataset, type: string, name: string): void {
  const dims = d.shape.length;
  const float = d.dtype.class === 'float';
  const floatText = 'float32 or float64';
  switch (kind) {
    case 'param':
      if (!float) problems.add(at, `is ${describeDtype(d)}`, `a ${floatText} array`);
      else if (dims === 0) {
        problems.add(
          at,
          'is a scalar (shape [])',
          `a ${floatText} array of at least one dimension: NIR neuron parameters hold one value per neuron, ` +
            'e.g. [C, H, W] after a convolution',
        );
      }
      return;
    case 'weight':
    case 'conv1d-weight':
    case 'conv2d-weight': {
      const rank = kind === 'conv2d-weight' ? 4 : kind === 'conv1d-weight' ? 3 : 2;
      const rankText =
        kind === 'weight' ? 'at least 2 dimensions (out, in)' : `${rank} dimensions (out, in / groups, kernel…)`;
      if (!float) problems.add(at, `is ${describeDtype(d)}`, `a ${floatText} array`);
      else if (kind === 'weight' ? dims < 2 : dims !== rank) {
        problems.add(at, `has shape ${show(d.shape)}`, `a ${type} weight of ${rankText}`);
      }
      return;
    }
    case 'bias':
      if (!float) problems.add(at, `is ${describeDtype(d)}`, `a ${floatText} array`);
      else if (dims !== 1) problems.add(at, `has shape ${show(d.shape)}`, 'a 1-D bias, one value per output');
      return;
    case 'pair':
    case 'padding2d':
      if (kind === 'padding2d' && d.dtype.class === 'string') {
        const value = strings(d)[0];
        if (dims !== 0 || (value !== 'same' && value !== 'valid')) {
          problems.add(at, `is the string '${value}'`, "'same', 'valid' or an int64 pair");
        }
        return;
      }
      if (!isInt64(d)) problems.add(at, `is ${describeDtype(d)}`, `${INT64}, shape [2] (height, width)`);
      else if (!sameShape(d.shape, [2]))
        problems.add(at, `has shape ${show(d.shape)}`, `shape [2] (height, width) for ${name}`);
      else {
        const least = name === 'padding' ? 0 : 1;
        if (numbers(d).some((v) => v < least)) problems.add(at, `holds ${show(numbers(d))}`, `values ≥ ${least}`);
      }
      return;
    case 'int':
      if (!isInt64(d)) problems.add(at, `is ${describeDtype(d)}`, `${INT64}, a scalar`);
      else if (dims !== 0) problems.add(at, `has shape ${show(d.shape)}`, 'a scalar (shape [])');
      else if (name === 'groups' && numbers(d)[0]! < 1) problems.add(at, `is ${numbers(d)[0]}`, 'groups ≥ 1');
      return;
    case 'int-or-single':
    case 'padding1d':
      if (kind === 'padding1d' && d.dtype.class === 'string') {
        const value = strings(d)[0];
        if (value !== 'same' && value !== 'valid')
          problems.add(at, `is the string '${value}'`, "'same', 'valid' or an int64");
        return;
      }
      if (!isInt64(d)) problems.add(at, `is ${describeDtype(d)}`, INT64);
      else if (dims > 1 || (dims === 1 && d.shape[0] !== 1))
        problems.add(at, `has shape ${show(d.shape)}`, 'a scalar or shape [1]');
      return;
    case 'shape':
      if (!isInt64(d)) problems.add(at, `is ${describeDtype(d)}`, `${INT64}, a 1-D shape`);
      else if (dims !== 1 || d.shape[0] === 0)
        problems.add(at, `has shape ${show(d.shape)}`, 'a non-empty 1-D list of sizes');
      else if (numbers(d).some((v) => v < 1))
        problems.add(at, `holds ${show(numbers(d))}`, 'sizes ≥ 1, without a batch dimension');
      return;
    case 'edges':
      if (d.dtype.class !== 'string')
        problems.add(at, `is ${describeDtype(d)}`, 'an (E, 2) array of strings (source, target)');
      else if (!(dims === 2 && d.shape[1] === 2) && !(dims === 1 && d.shape[0] === 0)) {
        problems.add(at, `has shape ${show(d.shape)}`, 'an (E, 2) array of strings (source, target)');
      }
      return;
    case 'graph-nodes':
      return;
  }
}

/** Checks one node group; returns its type when the node is sound enough for the type check. */
function checkNode(problems: Problems, at: string, node: H5Entry): string | undefined {
  if (node.kind !== 'group') {
    problems.add(at, `is a ${node.kind === 'dataset' ? 'dataset' : node.description}`, 'a group: one NIR node');
    return undefined;
  }
  const typeEntry = node.children.get('type');
  const type = nodeType(node);
  const known = Object.keys(NIR_NODE_TYPES);
  if (!typeEntry) {
    problems.add(`${at}/type`, 'missing', `a scalar string naming the node class: one of ${known.join(', ')}`);
    return undefined;
  }
  if (type === undefined) {
    problems.add(
      `${at}/type`,
      'is not a scalar string',
      `a scalar string naming the node class: one of ${known.join(', ')}`,
    );
    return undefined;
  }
  const fields = NIR_NODE_TYPES[type];
  if (!fields) {
    problems.add(`${at}/type`, `'${type}' is not a NIR node type`, `one of ${known.join(', ')}`);
    return undefined;
  }
  const before = problems.list.length;
  const names = Object.keys(fields);
  for (const [name, spec] of Object.entries(fields)) {
    if (spec.required && !node.children.has(name)) {
      problems.add(`${at}/${name}`, 'missing', `${name}: the reference reader needs it to build ${type}`);
    }
  }
  for (const [name, entry] of node.children) {
    const path = `${at}/${name}`;
    if (name === 'type') continue;
    if (name === 'metadata') {
      if (entry.kind !== 'group') problems.add(path, `is a ${entry.kind}`, 'a group (metadata is a dictionary)');
      continue;
    }
    const spec = fields[name];
    if (!spec) {
      problems.add(
        path,
        `dataset '${name}' is not a field of ${type}`,
        `only ${type}'s fields: ${names.join(', ')} (and metadata); the reference reader passes every dataset ` +
          `to ${type}() as a keyword and fails on any other`,
      );
      continue;
    }
    if (spec.kind === 'graph-nodes') {
      if (entry.kind !== 'group') problems.add(path, `is a ${entry.kind}`, 'a group of node groups');
      continue;
    }
    if (entry.kind !== 'dataset') {
      problems.add(
        path,
        `is a ${entry.kind === 'group' ? 'group' : entry.description}`,
        `a dataset: ${type}'s ${name}`,
      );
      continue;
    }
    checkDataset(problems, path, spec.kind, entry, type, name);
  }
  if (problems.list.length > before) return undefined;

  // The reference asserts that a neuron's parameters share one shape.
  const params = names.filter((n) => fields[n]!.kind === 'param' && node.children.has(n));
  const first = params[0];
  for (const name of params.slice(1)) {
    const a = dataset(node, first!)!.shape;
    const b = dataset(node, name)!.shape;
    if (!sameShape(a, b)) {
      problems.add(
        `${at}/${name}`,
        `has shape ${show(b)} but ${first} has ${show(a)}`,
        `every parameter of a ${type} node to share one shape`,
      );
    }
  }
  if (type === 'Affine' || type === 'Conv1d' || type === 'Conv2d') {
    const w = dataset(node, 'weight')!.shape;
    const b = dataset(node, 'bias')!.shape;
    const out = type === 'Affine' ? w.slice(0, -1) : [w[0]!];
    if (!sameShape(out, b))
      problems.add(`${at}/bias`, `has shape ${show(b)}`, `${show(out)}: one value per output of weight ${show(w)}`);
  }
  if (problems.list.length > before) return undefined;
  if (type === 'NIRGraph') checkGraph(problems, at, node);
  return type;
}

export interface NirTypes {
  /** The node's input and output shapes (no batch), as the reference infers them; undefined when unknown. */
  input: number[] | undefined;
  output: number[] | undefined;
}

/** PyTorch's window rule on each axis, with the reference's single kernel size for all axes. */
function windowOutput(
  size: number[],
  padding: number[] | 'same' | 'valid',
  dilation: number[],
  kernel: number[],
  stride: number[],
): number[] {
  if (padding === 'same') return [...size];
  const pick = (list: number[], i: number) => (list.length === 1 ? list[0]! : list[i]!);
  return size.map((n, i) => {
    const p = padding === 'valid' ? 0 : pick(padding, i);
    return Math.floor((n + 2 * p - pick(dilation, i) * (pick(kernel, i) - 1) - 1) / pick(stride, i) + 1);
  });
}

/** NumPy's slice input[start:end] for possibly negative bounds. */
function slice(list: number[], start: number, end?: number): number[] {
  const norm = (i: number) => (i < 0 ? Math.max(0, list.length + i) : Math.min(i, list.length));
  return list.slice(norm(start), end === undefined ? undefined : norm(end));
}

/** As the reference's calc_flatten_output. */
export function flattenOutput(input: number[], start: number, end: number): number[] {
  const prod = (l: number[]) => l.reduce((a, b) => a * b, 1);
  const head = start !== 0 ? slice(input, 0, start) : [];
  const middle = end !== -1 ? prod(slice(input, start, end + 1)) : prod(slice(input, start));
  const tail = end !== -1 && end !== input.length - 1 ? slice(input, end + 1) : [];
  return [...head, middle, ...tail];
}

const paddingOf = (d: H5Dataset): number[] | 'same' | 'valid' =>
  d.dtype.class === 'string' ? (strings(d)[0] as 'same' | 'valid') : numbers(d);

/** The types a node states by itself (before propagation). */
function intrinsicTypes(node: H5Group, type: string): NirTypes {
  const d = (name: string) => dataset(node, name)!;
  switch (type) {
    case 'Input':
    case 'Output':
      return { input: numbers(d('shape')), output: numbers(d('shape')) };
    case 'Affine':
    case 'Linear': {
      const w = d('weight').shape;
      return { input: [...w.slice(0, -2), w[w.length - 1]!], output: [...w.slice(0, -2), w[w.length - 2]!] };
    }
    case 'Conv1d':
    case 'Conv2d': {
      const w = d('weight').shape;
      const size = numbers(d('input_shape'));
      const out = windowOutput(size, paddingOf(d('padding')), numbers(d('dilation')), [w[2]!], numbers(d('stride')));
      return { input: [w[1]!, ...size], output: [w[0]!, ...out] };
    }
    case 'Flatten': {
      const given = dataset(node, 'input_type');
      if (!given) return { input: undefined, output: undefined };
      const input = numbers(given);
      return { input, output: flattenOutput(input, flattenDim(node, 'start_dim'), flattenDim(node, 'end_dim')) };
    }
    case 'SumPool2d':
    case 'AvgPool2d':
      return { input: undefined, output: undefined };
    case 'NIRGraph': {
      const nodes = [...graphNodes(node)];
      const ins = nodes.filter(([, n]) => nodeType(n) === 'Input');
      const outs = nodes.filter(([, n]) => nodeType(n) === 'Output');
      return {
        input: ins.length === 1 ? numbers(dataset(ins[0]![1], 'shape')!) : undefined,
        output: outs.length === 1 ? numbers(dataset(outs[0]![1], 'shape')!) : undefined,
      };
    }
    default: {
      // Neurons, Scale, Delay, Threshold: the parameters' shape.
      const first = Object.keys(NIR_NODE_TYPES[type] ?? {}).find((n) => node.children.has(n));
      const shape = first ? d(first).shape : undefined;
      return { input: shape, output: shape };
    }
  }
}

export function flattenDim(node: H5Group, name: 'start_dim' | 'end_dim'): number {
  const d = dataset(node, name);
  return d ? numbers(d)[0]! : name === 'start_dim' ? 1 : -1;
}

/** Output types the reference derives from the input type (pools, Flatten without input_type). */
function derivedOutput(node: H5Group, type: string, input: number[]): number[] | undefined {
  if (type === 'SumPool2d' || type === 'AvgPool2d') {
    const d = (name: string) => numbers(dataset(node, name)!);
    return [input[0]!, ...windowOutput(input.slice(1), d('padding'), [1], d('kernel_size'), d('stride'))];
  }
  if (type === 'Flatten') return flattenOutput(input, flattenDim(node, 'start_dim'), flattenDim(node, 'end_dim'));
  return undefined;
}

/**
 * The reference's type inference and check for one graph whose nodes are all sound: types flow
 * from the Input nodes along the edges; then every edge must join equal shapes.
 */
export function inferGraphTypes(graph: H5Group, problems?: Problems, at = '/node'): Map<string, NirTypes> {
  const nodes = graphNodes(graph);
  const edges = graphEdges(graph);
  const types = new Map<string, NirTypes>();
  for (const [name, node] of nodes) types.set(name, intrinsicTypes(node, nodeType(node)!));
  const typeOf = (name: string) => nodeType(nodes.get(name)!)!;

  const targets = new Set(edges.map(([, b]) => b));
  const sources = new Set(edges.map(([a]) => a));
  const ready: Array<[string | null, string]> = [];
  for (const name of nodes.keys()) {
    if (targets.has(name)) continue;
    if (typeOf(name) === 'Input') {
      ready.push(...edges.filter(([a]) => a === name));
    } else if (types.get(name)!.input === undefined) {
      problems?.add(
        `${at}/nodes/${name}`,
        `'${name}' (${typeOf(name)}) has no incoming edge and no input type of its own`,
        'an Input node before it (the reference cannot infer the graph input otherwise)',
      );
    } else {
      // The reference puts an Input node before such a root; its type is the root's own.
      ready.push([null, name]);
    }
  }
  if (ready.length === 0 && nodes.size > 0) {
    problems?.add(
      `${at}/edges`,
      'no edge leaves an Input node',
      'an Input node to start the type check from (a cycle at the input cannot be typed)',
    );
  }
  const seen = new Set(ready.map(([a, b]) => a ?? b));
  while (ready.length > 0) {
    const [pre, post] = ready.pop()!;
    const postTypes = types.get(post)!;
    const incoming = pre === null ? postTypes.input : types.get(pre)!.output;
    if (postTypes.input === undefined) postTypes.input = incoming;
    if (typeOf(post) === 'Output') postTypes.output = postTypes.input;
    if (postTypes.output === undefined && postTypes.input !== undefined) {
      postTypes.output = derivedOutput(nodes.get(post)!, typeOf(post), postTypes.input);
    }
    seen.add(post);
    ready.push(...edges.filter(([a, b]) => a === post && !seen.has(b)));
  }

  if (problems) {
    edges.forEach(([a, b], i) => {
      const out = types.get(a)!.output;
      const input = types.get(b)!.input;
      const edge = `edge ${i} ('${a}' → '${b}')`;
      if (out === undefined) {
        problems.add(
          `${at}/edges`,
          `${edge}: '${a}' (${typeOf(a)}) has no output type`,
          'types that propagate from an Input node',
        );
      } else if (input === undefined) {
        problems.add(
          `${at}/edges`,
          `${edge}: '${b}' (${typeOf(b)}) has no input type`,
          'types that propagate from an Input node',
        );
      } else if (!sameShape(out, input)) {
        const own =
          typeOf(b) === 'Output' ? 'its shape' : NIR_NODE_TYPES[typeOf(b)]?.weight ? 'its weight' : 'its parameters';
        problems.add(
          `${at}/edges`,
          `${edge}: '${a}' (${typeOf(a)}) gives ${show(out)} but '${b}' (${typeOf(b)}) takes ${show(input)} (${own})`,
          'equal shapes on both ends of every edge',
        );
      }
    });
    for (const name of nodes.keys()) {
      if (!sources.has(name) && typeOf(name) !== 'Output' && types.get(name)!.output === undefined) {
        problems.add(
          `${at}/nodes/${name}`,
          `'${name}' (${typeOf(name)}) has no outgoing edge and no output type`,
          'an Output node after it',
        );
      }
    }
  }
  return types;
}

function checkGraph(problems: Problems, at: string, graph: H5Group): void {
  const nodes = graph.children.get('nodes');
  if (nodes?.kind !== 'group') return;
  const before = problems.list.length;
  for (const [name, node] of nodes.children) checkNode(problems, `${at}/nodes/${name}`, node);
  graphEdges(graph).forEach(([a, b], i) => {
    for (const end of [a, b]) {
      if (!nodes.children.has(end)) {
        problems.add(
          `${at}/edges`,
          `edge ${i} ('${a}' → '${b}') names '${end}', which is not a node of this graph`,
          `names of the groups in ${at}/nodes`,
        );
      }
    }
  });
  // Types are only meaningful once every node and edge is sound.
  if (problems.list.length === before) inferGraphTypes(graph, problems, at);
}

/** Every problem in a file already read into a tree. */
export function checkNirTree(tree: H5Tree): NirProblem[] {
  const problems = new Problems(tree.file);
  const version = tree.root.children.get('version');
  if (!version) problems.add('/version', 'missing', 'a scalar string: the NIR version that wrote the file');
  else if (version.kind !== 'dataset' || version.dtype.class !== 'string' || version.shape.length !== 0) {
    problems.add('/version', 'is not a scalar string', 'a scalar string: the NIR version that wrote the file');
  }
  const node = tree.root.children.get('node');
  if (!node) problems.add('/node', 'missing', 'a group: the root node, normally a NIRGraph');
  else checkNode(problems, '/node', node);
  return problems.list;
}

/** Every problem in a NIR file ([] for a sound one). `label` names bytes in messages. */
export async function checkNir(source: H5Source, label?: string): Promise<NirProblem[]> {
  return checkNirTree(await readH5(source, label));
}

/** Throws a NirSchemaError when the tree has a problem. */
export function assertNirTree(tree: H5Tree): void {
  const problems = checkNirTree(tree);
  if (problems.length > 0) throw new NirSchemaError(problems);
}

/** Reads and checks a NIR file; throws a NirSchemaError (file, HDF5 path, what was expected) on the first problem. */
export async function assertNir(source: H5Source, label?: string): Promise<H5Tree> {
  const tree = await readH5(source, label);
  assertNirTree(tree);
  return tree;
}
