/**
 * `autosnn inspect` for NIR files: any file, ours or another toolchain's, also one that fails the
 * schema check (its problems become notes, and shapes are left out where they cannot be inferred).
 */
import type { InspectNode, InspectSummary, Semantics } from '../common.js';
import { readH5, type H5Group, type H5Source, type H5Tree } from './hdf5.js';
import { HINTS_KEY, NIR_DT } from './mapping.js';
import {
  checkNirTree,
  dataset,
  formatProblem,
  graphEdges,
  graphNodes,
  inferGraphTypes,
  nodeType,
  numbers,
  orderGraph,
  strings,
  type NirTypes,
} from './schema.js';

/** One value, or the range when the elements differ. */
function summarise(values: readonly number[]): string {
  if (values.length === 0) return '—';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const fmt = (v: number) => Number(v.toPrecision(6)).toString();
  return lo === hi ? fmt(lo) : `${fmt(lo)}…${fmt(hi)}`;
}

function details(node: H5Group, type: string): string | undefined {
  const num = (name: string) => {
    const d = dataset(node, name);
    return d && d.dtype.class !== 'string' ? numbers(d) : undefined;
  };
  const show = (name: string, label = name) => {
    const values = num(name);
    return values ? `${label} ${summarise(values)}` : undefined;
  };
  const time = (name: string, label: string) => {
    const values = num(name);
    if (!values) return undefined;
    return `${label} ${summarise(values.map((v) => v * 1e3))} ms (${summarise(values.map((v) => v / NIR_DT))} steps at dt ${NIR_DT} s)`;
  };
  const grid = (name: string, label = name) => {
    const d = dataset(node, name);
    if (!d) return undefined;
    return d.dtype.class === 'string' ? `${label} ${strings(d)[0]}` : `${label} ${numbers(d).join('×')}`;
  };
  const join = (parts: Array<string | undefined>) => parts.filter(Boolean).join(', ') || undefined;
  switch (type) {
    case 'Conv1d':
    case 'Conv2d': {
      const w = dataset(node, 'weight')?.shape ?? [];
      return join([
        `kernel ${w.slice(2).join('×')}`,
        grid('stride'),
        grid('padding'),
        grid('dilation'),
        show('groups'),
      ]);
    }
    case 'Affine':
    case 'Linear': {
      const w = dataset(node, 'weight')?.shape ?? [];
      return `${w[w.length - 1]} → ${w[w.length - 2]}${type === 'Linear' ? ', no bias' : ''}`;
    }
    case 'SumPool2d':
    case 'AvgPool2d':
      return join([grid('kernel_size', 'kernel'), grid('stride'), grid('padding')]);
    case 'Flatten':
      return `dims ${num('start_dim')?.[0] ?? 1}…${num('end_dim')?.[0] ?? -1}`;
    case 'IF':
      return join([show('r'), show('v_threshold', 'v_th'), show('v_reset')]);
    case 'LIF':
      return join([time('tau', 'τ'), show('r'), show('v_leak'), show('v_threshold', 'v_th'), show('v_reset')]);
    case 'LI':
      return join([time('tau', 'τ'), show('r'), show('v_leak')]);
    case 'CubaLIF':
    case 'CubaLI':
      return join([
        time('tau_syn', 'τ_syn'),
        time('tau_mem', 'τ_mem'),
        show('r'),
        show('w_in'),
        show('v_leak'),
        show('v_threshold', 'v_th'),
        show('v_reset'),
      ]);
    case 'Threshold':
      return show('threshold');
    case 'Scale':
      return show('scale');
    case 'Delay':
      return show('delay');
    default:
      return undefined;
  }
}

/** Float values a node holds (weights, biases, neuron parameters); nested graphs count their nodes. */
function parameterCount(node: H5Group): number {
  let count = 0;
  for (const [name, entry] of node.children) {
    if (name === 'metadata') continue;
    if (entry.kind === 'dataset' && entry.dtype.class === 'float') count += entry.data.length;
    if (name === 'nodes' && entry.kind === 'group') {
      for (const child of entry.children.values()) if (child.kind === 'group') count += parameterCount(child);
    }
  }
  return count;
}

function metadataStrings(graph: H5Group): Semantics {
  const metadata = graph.children.get('metadata');
  const out: Semantics = {};
  if (metadata?.kind !== 'group') return out;
  for (const [key, entry] of metadata.children) {
    if (key === HINTS_KEY || entry.kind !== 'dataset' || entry.dtype.class !== 'string' || entry.shape.length !== 0)
      continue;
    out[key] = strings(entry)[0]!;
  }
  return out;
}

/** The summary for a NIR file already read into a tree. */
export function inspectNirTree(tree: H5Tree): InspectSummary {
  const problems = checkNirTree(tree);
  const version = tree.root.children.get('version');
  const root = tree.root.children.get('node');
  const summary: InspectSummary = {
    format: 'NIR',
    ...(version?.kind === 'dataset' && version.dtype.class === 'string'
      ? { version: `NIR ${strings(version)[0]}` }
      : {}),
    file: tree.file,
    bytes: tree.bytes,
    inputs: [],
    outputs: [],
    nodes: [],
    parameters: 0,
    semantics: {},
    notes: [],
  };
  if (root?.kind !== 'group') {
    summary.notes.push(...problems.map(formatProblem));
    return summary;
  }
  const rootType = nodeType(root) ?? 'unknown';
  // A file of one node (nir.write of a bare LIF, say) is shown as a graph of that node.
  const graphNodesMap = rootType === 'NIRGraph' ? graphNodes(root) : new Map([['node', root]]);
  const edges =
    rootType === 'NIRGraph' ? graphEdges(root).filter(([a, b]) => graphNodesMap.has(a) && graphNodesMap.has(b)) : [];
  let types = new Map<string, NirTypes>();
  if (problems.length === 0 && rootType === 'NIRGraph') types = inferGraphTypes(root);

  const names = [...graphNodesMap.keys()];
  const starts = names.filter((n) => nodeType(graphNodesMap.get(n)!) === 'Input');
  const roots = names.filter((n) => !edges.some(([, b]) => b === n));
  const { order, back, unreachable } = orderGraph(names, edges, [
    ...starts,
    ...roots.filter((r) => !starts.includes(r)),
  ]);
  const recurrent = new Map<string, string[]>();
  edges.forEach(([a, b], i) => {
    if (back.has(i)) recurrent.set(b, [...(recurrent.get(b) ?? []), a]);
  });

  for (const name of [...order, ...unreachable]) {
    const node = graphNodesMap.get(name)!;
    const type = nodeType(node) ?? 'unknown';
    const shape = types.get(name)?.output ?? (type === 'Input' || type === 'Output' ? maybeShape(node) : undefined);
    const parameters = parameterCount(node);
    const fed = recurrent.get(name);
    const detail = [details(node, type), fed ? `recurrent from ${fed.join(', ')}` : undefined]
      .filter(Boolean)
      .join('; ');
    const entry: InspectNode = {
      name,
      type,
      parameters,
      ...(shape ? { shape } : {}),
      ...(detail ? { details: detail } : {}),
    };
    summary.nodes.push(entry);
    summary.parameters += parameters;
    if (type === 'Input' && shape) summary.inputs.push({ name, shape });
    if (type === 'Output' && shape) summary.outputs.push({ name, shape });
  }

  const semantics = metadataStrings(root);
  summary.semantics =
    Object.keys(semantics).length > 0
      ? semantics
      : {
          thresholdTest: "'>' (strict), as NIR's LIF and IF state it",
          timeConstants: `continuous time (seconds); NIR fixes no step: this project maps τ to steps with dt = ${NIR_DT} s`,
        };
  const recurrentEdges = edges.filter((_, i) => back.has(i)).map(([a, b]) => `${a} → ${b}`);
  summary.notes.push(
    `${edges.length} edge${edges.length === 1 ? '' : 's'}` +
      (recurrentEdges.length > 0
        ? `, ${recurrentEdges.length} closing a cycle (recurrent): ${recurrentEdges.join(', ')}`
        : ''),
  );
  const metadata = root.children.get('metadata');
  if (metadata?.kind === 'group' && metadata.children.has(HINTS_KEY)) {
    summary.notes.push(`written by autosnn: round-trip hints in /node/metadata/${HINTS_KEY}`);
  }
  if (rootType !== 'NIRGraph') summary.notes.push(`the root node is a ${rootType}, not a NIRGraph`);
  if (problems.length === 0) summary.notes.push('passes the NIR schema check (the reference reader would load it)');
  else {
    summary.notes.push(
      `fails the NIR schema check with ${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
    );
    summary.notes.push(...problems.slice(0, 5).map(formatProblem));
    if (problems.length > 5) summary.notes.push(`… and ${problems.length - 5} more`);
  }
  return summary;
}

function maybeShape(node: H5Group): number[] | undefined {
  const d = dataset(node, 'shape');
  return d && d.dtype.class === 'int' ? numbers(d) : undefined;
}

/** Reads a NIR file (path or bytes) and summarises it. */
export async function inspectNir(source: H5Source, label?: string): Promise<InspectSummary> {
  return inspectNirTree(await readH5(source, label));
}
