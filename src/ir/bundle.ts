/**
 * A model with its weights: what every graph pass takes and returns, and what every exporter
 * reads (a model directory loaded by model-files.ts is one). Helpers read any float tensor as
 * float64 and make float32 records, since passes compute in float64 and store float32.
 */
import type { Model, ModelNode, NeuronNode } from './model.js';
import type { TensorRecord } from './safetensors.js';

export interface ModelBundle {
  model: Model;
  weights: Map<string, TensorRecord>;
}

/** The elements of a float tensor as float64 (F32 and F64 records; others are an error). */
export function readFloat64(weights: ReadonlyMap<string, TensorRecord>, name: string): Float64Array {
  const record = weights.get(name);
  if (!record) throw new Error(`weights: no tensor '${name}'`);
  if (record.dtype !== 'F32' && record.dtype !== 'F64') {
    throw new Error(`weights: tensor '${name}' is ${record.dtype} (expected F32 or F64)`);
  }
  return Float64Array.from(record.data as Float32Array | Float64Array);
}

export function float32Record(shape: readonly number[], values: ArrayLike<number>): TensorRecord {
  return { dtype: 'F32', shape: [...shape], data: Float32Array.from(values) };
}

/** name → node. */
export function nodesByName(model: Model): Map<string, ModelNode> {
  return new Map(model.nodes.map((node) => [node.name, node]));
}

/** name → the names of the nodes that read it. */
export function consumersOf(model: Model): Map<string, string[]> {
  const consumers = new Map<string, string[]>(model.nodes.map((n) => [n.name, []]));
  for (const node of model.nodes) for (const input of node.inputs) consumers.get(input)?.push(node.name);
  return consumers;
}

/**
 * A neuron's leak k per step, one value or one per channel: 1/τ for LIF, sigmoid(w) for PLIF,
 * 0 for IF (no leak). cuba-lif has two leaks and is not described by one k.
 */
export function neuronLeak(node: NeuronNode, weights: ReadonlyMap<string, TensorRecord>): Float64Array {
  switch (node.model) {
    case 'if':
      return Float64Array.of(0);
    case 'lif':
      return Float64Array.of(1 / (node.tau ?? 1));
    case 'plif': {
      const w = readFloat64(weights, node.weights!.w!);
      return w.map((value) => 1 / (1 + Math.exp(-value)));
    }
    case 'cuba-lif':
      throw new Error(`neuron '${node.name}': cuba-lif has two time constants, not one leak`);
  }
}

/** A copy of the model with `nodes` replaced and the node list re-linked (outputs unchanged). */
export function withNodes(model: Model, nodes: ModelNode[]): Model {
  return { ...model, nodes };
}
