/**
 * Batch-norm folding: a `batchnorm` node whose input is a conv2d or linear read by nothing else
 * becomes that layer's weights and bias (inference only: it uses the running statistics):
 *
 *   y = (Wx + b − μ) · γ/σ + β,  σ = sqrt(var + eps)   ⇒   W' = W · γ/σ,  b' = (b − μ) · γ/σ + β
 *
 * per output channel, computed in float64 and stored float32. Readers of the batch norm then
 * read the layer. A batch norm that cannot be folded is left in place, and `unfolded` names it
 * with the reason, so an exporter can refuse it by name.
 */
import { consumersOf, float32Record, nodesByName, readFloat64, type ModelBundle } from '../bundle.js';
import type { BatchNormNode, Conv2dNode, LinearNode, Model, ModelNode } from '../model.js';
import type { TensorRecord } from '../safetensors.js';

export interface FoldResult extends ModelBundle {
  /** Batch-norm nodes folded away, with the layer each went into. */
  folded: Array<{ batchnorm: string; into: string }>;
  /** Batch-norm nodes left in the graph, and why. */
  unfolded: Array<{ batchnorm: string; reason: string }>;
}

function unusedName(weights: ReadonlyMap<string, TensorRecord>, wanted: string): string {
  let name = wanted;
  for (let k = 2; weights.has(name); k++) name = `${wanted}.${k}`;
  return name;
}

export function foldBatchNorm(bundle: ModelBundle): FoldResult {
  const byName = nodesByName(bundle.model);
  const consumers = consumersOf(bundle.model);
  const weights = new Map(bundle.weights);
  const replacedBy = new Map<string, string>(); // folded batch norm → its layer
  const rewritten = new Map<string, ModelNode>(); // layer name → the layer with its new weights
  const folded: FoldResult['folded'] = [];
  const unfolded: FoldResult['unfolded'] = [];

  for (const node of bundle.model.nodes) {
    if (node.op !== 'batchnorm') continue;
    const layer = byName.get(node.inputs[0]!);
    if (!layer || (layer.op !== 'conv2d' && layer.op !== 'linear')) {
      unfolded.push({ batchnorm: node.name, reason: `its input '${node.inputs[0]}' is not a conv2d or linear layer` });
      continue;
    }
    const readers = consumers.get(layer.name) ?? [];
    if (readers.length !== 1) {
      unfolded.push({
        batchnorm: node.name,
        reason: `its layer '${layer.name}' is also read by ${readers.filter((r) => r !== node.name).join(', ')}`,
      });
      continue;
    }
    rewritten.set(layer.name, foldInto(layer, node, weights));
    for (const tensor of Object.values(node.weights)) weights.delete(tensor);
    replacedBy.set(node.name, layer.name);
    folded.push({ batchnorm: node.name, into: layer.name });
  }

  const nodes: ModelNode[] = [];
  for (const node of bundle.model.nodes) {
    if (replacedBy.has(node.name)) continue;
    const base = rewritten.get(node.name) ?? node;
    nodes.push({ ...base, inputs: base.inputs.map((input) => replacedBy.get(input) ?? input) } as ModelNode);
  }
  return { model: { ...bundle.model, nodes }, weights, folded, unfolded };
}

function foldInto(layer: Conv2dNode | LinearNode, bn: BatchNormNode, weights: Map<string, TensorRecord>): ModelNode {
  const gamma = readFloat64(weights, bn.weights.weight);
  const beta = readFloat64(weights, bn.weights.bias);
  const mean = readFloat64(weights, bn.weights.runningMean);
  const variance = readFloat64(weights, bn.weights.runningVar);
  const w = readFloat64(weights, layer.weights.weight);
  const outputs = layer.op === 'conv2d' ? layer.outChannels : layer.outFeatures;
  const bias = layer.weights.bias ? readFloat64(weights, layer.weights.bias) : new Float64Array(outputs);
  const perOutput = w.length / outputs;
  const scaled = new Float64Array(w.length);
  const newBias = new Float64Array(outputs);
  for (let o = 0; o < outputs; o++) {
    const scale = gamma[o]! / Math.sqrt(variance[o]! + bn.eps);
    for (let i = 0; i < perOutput; i++) scaled[o * perOutput + i] = w[o * perOutput + i]! * scale;
    newBias[o] = (bias[o]! - mean[o]!) * scale + beta[o]!;
  }
  const shape = weights.get(layer.weights.weight)!.shape;
  weights.set(layer.weights.weight, float32Record(shape, scaled));
  const biasName = layer.weights.bias ?? unusedName(weights, `${layer.name}.bias`);
  weights.set(biasName, float32Record([outputs], newBias));
  return { ...layer, bias: true, weights: { weight: layer.weights.weight, bias: biasName } };
}

/** The batch norms a format cannot take, as one error message naming each and why; '' if none. */
export function describeUnfolded(unfolded: FoldResult['unfolded']): string {
  return unfolded.map((u) => `node '${u.batchnorm}': batch norm not folded: ${u.reason}`).join('; ');
}

/**
 * The graph of foldBatchNorm without its arithmetic: batch norms after a conv2d or linear read by
 * nothing else removed, their readers rewired. For checks that look at structure only (a
 * target's fit check during the search), where no weights are at hand.
 */
export function foldBatchNormStructure(model: Model): Model {
  const byName = nodesByName(model);
  const consumers = consumersOf(model);
  const replacedBy = new Map<string, string>();
  for (const node of model.nodes) {
    if (node.op !== 'batchnorm') continue;
    const layer = byName.get(node.inputs[0]!);
    if (layer && (layer.op === 'conv2d' || layer.op === 'linear') && consumers.get(layer.name)?.length === 1) {
      replacedBy.set(node.name, layer.name);
    }
  }
  const nodes = model.nodes
    .filter((node) => !replacedBy.has(node.name))
    .map((node) => {
      const rewired = { ...node, inputs: node.inputs.map((input) => replacedBy.get(input) ?? input) } as ModelNode;
      const folded = [...replacedBy.values()].includes(node.name);
      return folded && (node.op === 'conv2d' || node.op === 'linear')
        ? ({ ...rewired, bias: true } as ModelNode)
        : rewired;
    });
  return { ...model, nodes };
}
