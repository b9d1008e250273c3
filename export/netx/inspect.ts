/**
 * `autosnn inspect` for netx files: one row per /layer entry, in netx's own vocabulary, and the
 * semantics this project recorded when it wrote the file (other writers record none).
 */
import { readFile } from 'node:fs/promises';
import type { InspectNode, InspectSummary } from '../common.js';
import { elementCount } from '../../src/ir/shapes.js';
import { readNetx, type NetxLayer, type NetxNetwork } from './reader.js';

const pair = (values: number[] | undefined): string | undefined =>
  values === undefined ? undefined : values.length === 2 && values[0] === values[1] ? `${values[0]}` : values.join('×');

function neuronDetails(layer: NetxLayer): string | undefined {
  const n = layer.neuron;
  if (!n) return undefined;
  const fields = [
    n.type,
    n.iDecay !== undefined ? `iDecay ${n.iDecay}` : '',
    n.vDecay !== undefined ? `vDecay ${n.vDecay}` : '',
    n.vThMant !== undefined ? `vThMant ${n.vThMant}` : '',
    n.refDelay !== undefined ? `refDelay ${n.refDelay}` : '',
    n.gradedSpike ? 'graded' : '',
  ];
  return fields.filter(Boolean).join(' ');
}

function layerRow(layer: NetxLayer, nodes: string | undefined): InspectNode {
  const neuronParameters = layer.neuron
    ? Object.keys(layer.neuron).filter((k) => k !== 'type' && k !== 'other').length +
      Object.keys(layer.neuron.other).length
    : 0;
  const parameters =
    (layer.weight?.values.length ?? 0) +
    (layer.weightImag?.values.length ?? 0) +
    (layer.bias?.values.length ?? 0) +
    (layer.delay?.values.length ?? 0) +
    neuronParameters;
  const synapse: string[] = [];
  if (layer.type === 'conv') {
    const kernel = layer.kernelSize ?? layer.weight?.shape.slice(2, 4);
    synapse.push(`k ${kernel?.join('×') ?? '?'}`);
    const stride = pair(layer.stride);
    const padding = pair(layer.padding);
    const dilation = pair(layer.dilation);
    if (stride) synapse.push(`s ${stride}`);
    if (padding) synapse.push(`p ${padding}`);
    if (dilation && dilation !== '1') synapse.push(`d ${dilation}`);
    if (layer.groups !== undefined && layer.groups !== 1) synapse.push(`g ${layer.groups}`);
  }
  if (layer.weight) synapse.push(`w [${layer.weight.shape.join(', ')}]`);
  if (layer.bias) synapse.push('bias');
  const neuron = neuronDetails(layer);
  const details = [synapse.join(' '), neuron, nodes ? `(${nodes})` : ''].filter(Boolean).join('; ');
  const row: InspectNode = { name: `layer/${layer.index}`, type: layer.type, parameters };
  if (layer.shape.length > 0) row.shape = layer.shape;
  if (details) row.details = details;
  return row;
}

/** The InspectSummary of a netx network already read. */
export function summarizeNetx(net: NetxNetwork, file: string, bytes: number): InspectSummary {
  const nodes = net.layers.map((layer, i) => layerRow(layer, net.autosnn?.layerNodes[i]));
  const first = net.layers[0];
  const inputs: InspectSummary['inputs'] = [];
  if (first?.type === 'input') inputs.push({ name: 'layer/0', shape: first.shape });
  else if (first?.inFeatures !== undefined) inputs.push({ name: 'layer/0', shape: [first.inFeatures] });
  const last = net.layers.at(-1);
  const outputs = last ? [{ name: `layer/${last.index}`, shape: last.shape }] : [];
  const notes: string[] = [];
  if (net.simulation) {
    notes.push(
      `simulation: ${Object.entries(net.simulation)
        .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
        .join(', ')}`,
    );
  }
  const meta = net.autosnn;
  if (meta) {
    notes.push(
      `written by autosnn from '${meta.model ?? '?'}': T = ${meta.timesteps ?? '?'}, ${meta.encoding ?? '?'} input` +
        (meta.encoding === 'direct' ? ` sent as round(x·2^${meta.inputShift ?? '?'})` : ''),
    );
    notes.push(...meta.notes);
  }
  const neurons = net.layers.filter((l) => l.neuron).reduce((sum, l) => sum + elementCount(l.shape), 0);
  notes.push(`${neurons.toLocaleString('en-US')} neurons in ${net.layers.filter((l) => l.neuron).length} layer(s)`);
  return {
    format: 'Lava-dl netx (HDF5)',
    file,
    bytes,
    inputs,
    outputs,
    nodes,
    parameters: nodes.reduce((sum, n) => sum + n.parameters, 0),
    semantics: { ...(meta?.semantics ?? {}) },
    notes,
  };
}

/** What `autosnn inspect` prints for a netx file (a path, or its bytes; `label` names bytes). */
export async function inspectNetx(source: string | Uint8Array, label?: string): Promise<InspectSummary> {
  const bytes = typeof source === 'string' ? (await readFile(source)).byteLength : source.byteLength;
  const net = await readNetx(source);
  return summarizeNetx(net, label ?? (typeof source === 'string' ? source : '<netx bytes>'), bytes);
}
