/**
 * Writes a model as a Lava-dl netx file, with the datasets and dtypes lava-dl's slayer writes
 * (block/base.py export_hdf5): /layer/0 an input layer with the frame shape only, then one
 * conv/dense group per synapse + neuron layer (max- and sum-pools as constant depthwise convs),
 * 'flatten' where the model flattens, and beside the layers /simulation (Ts, tSample) and
 * /autosnn (the semantics and host-side settings, which netx does not read). plan.ts holds the
 * mapping; this file only lays it out.
 */
import type { ModelBundle } from '../../src/ir/bundle.js';
import type { ExportResult } from '../common.js';
import {
  buildH5File,
  childGroup,
  writeBool,
  writeFloats,
  writeInt,
  writeInts,
  writeString,
  writeTypeString,
  type H5File,
  type H5Group,
} from './h5.js';
import { planNetx, type NetxExportOptions, type NetxPlan, type PlanLayer, type PlanSynapseLayer } from './plan.js';

function writeNeuron(group: H5Group, layer: PlanSynapseLayer): void {
  const neuron = childGroup(group, 'neuron');
  writeString(neuron, 'type', 'CUBA');
  writeInt(neuron, 'iDecay', layer.neuron.iDecay);
  writeInt(neuron, 'vDecay', layer.neuron.vDecay);
  writeInt(neuron, 'vThMant', layer.neuron.vThMant);
  // Lava's LIF has no refractory period; 1 is what slayer writes for "none".
  writeInt(neuron, 'refDelay', 1);
  writeBool(neuron, 'gradedSpike', false);
}

function writeLayer(group: H5Group, layer: PlanLayer): void {
  if (layer.type === 'flatten') {
    writeTypeString(group, 'type', 'flatten');
    writeInts(group, 'shape', layer.shape);
    return;
  }
  writeTypeString(group, 'type', layer.type);
  writeInts(group, 'shape', layer.shape);
  if (layer.type === 'conv') {
    const conv = layer.conv!;
    writeInt(group, 'inChannels', layer.inShape[0]!);
    writeInt(group, 'outChannels', layer.shape[0]!);
    writeInts(group, 'kernelSize', conv.kernel);
    writeInts(group, 'stride', conv.stride);
    writeInts(group, 'padding', conv.padding);
    writeInts(group, 'dilation', conv.dilation);
    writeInt(group, 'groups', conv.groups);
  } else {
    writeInt(group, 'inFeatures', layer.weightShape[1]!);
    writeInt(group, 'outFeatures', layer.weightShape[0]!);
  }
  // float32 holding whole numbers, as slayer writes them; netx casts with astype(int).
  writeFloats(group, 'weight', layer.qWeight, layer.weightShape);
  if (layer.qBias) writeFloats(group, 'bias', layer.qBias, [layer.qBias.length]);
  writeNeuron(group, layer);
}

function layerNodes(layer: PlanLayer): string {
  return layer.type === 'flatten' ? layer.node : `${layer.synapse} → ${layer.neuron.node}`;
}

function writePlan(file: H5File, plan: NetxPlan): void {
  const layers = childGroup(file, 'layer');
  const input = childGroup(layers, '0');
  writeTypeString(input, 'type', 'input');
  writeInts(input, 'shape', plan.input.shape);
  plan.layers.forEach((layer, i) => writeLayer(childGroup(layers, String(i + 1)), layer));

  const simulation = childGroup(file, 'simulation');
  writeInt(simulation, 'Ts', 1);
  writeInt(simulation, 'tSample', plan.timesteps);

  const meta = childGroup(file, 'autosnn');
  writeString(meta, 'model', plan.name);
  writeInt(meta, 'timesteps', plan.timesteps);
  writeString(meta, 'encoding', plan.input.encoding);
  writeInt(meta, 'inputShift', plan.inputShift);
  writeInts(
    meta,
    'layerShifts',
    plan.layers.flatMap((l) => (l.type === 'flatten' ? [] : [l.layerShift])),
  );
  if (plan.readout) {
    writeInt(meta, 'readoutGroupSize', plan.readout.groupSize);
    writeInt(meta, 'classes', plan.readout.classes);
  }
  const names = ['input', ...plan.layers.map(layerNodes)];
  meta.create_dataset({ name: 'layerNodes', data: names, shape: [names.length] });
  if (plan.notes.length > 0) meta.create_dataset({ name: 'notes', data: plan.notes, shape: [plan.notes.length] });
  const semantics = childGroup(meta, 'semantics');
  for (const [key, value] of Object.entries(plan.semantics)) writeString(semantics, key, value);
}

/** The netx file for `bundle`; an UnsupportedExportError names the first node netx cannot take. */
export async function exportNetx(bundle: ModelBundle, options: NetxExportOptions = {}): Promise<ExportResult> {
  const plan = planNetx(bundle, options);
  const bytes = await buildH5File((file) => writePlan(file, plan));
  return { format: 'netx', bytes, semantics: { ...plan.semantics }, notes: [...plan.notes] };
}
