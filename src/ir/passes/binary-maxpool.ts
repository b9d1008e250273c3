/**
 * Max-pooling of binary spikes as sum-pooling and a threshold neuron (specs/formats.md): on
 * inputs in {0, 1}, the max over a window is 1 exactly when the window's sum is ≥ 1. The
 * neuron is integrate-and-fire with threshold 0.5 and a hard reset to 0: its membrane is 0
 * before every step (reset after a spike; nothing added otherwise), so it fires exactly when
 * the sum is ≥ 1, whether the test is ≥ or > — exact, with no state carried between steps.
 * Zero padding equals max-pool's −∞ padding here, since the sum only asks whether any spike fell
 * in the window. Needed by formats and chips without max-pooling (NIR readers, Lava-dl netx,
 * Speck). The neuron keeps the max-pool's name, so readers of it need no change.
 */
import { nodesByName, type ModelBundle } from '../bundle.js';
import type { Model, ModelNode, NeuronNode, PoolNode } from '../model.js';
import { ifNeuronNode } from '../nodes.js';

export class NotBinaryError extends Error {
  override readonly name = 'NotBinaryError';
}

/** Whether a node's output is spikes (0 or 1): a neuron, or a max-pool/flatten of spikes. */
export function isBinary(model: Model, name: string): boolean {
  const byName = nodesByName(model);
  for (let node = byName.get(name); node; node = byName.get(node.inputs[0] ?? '')) {
    if (node.op === 'neuron') return true;
    if (node.op !== 'maxpool' && node.op !== 'flatten') return false;
  }
  return false;
}

/** The neuron that follows a max-pool's sum-pool: fires when any input spiked (sum ≥ 0.5). */
export function poolThresholdNeuron(name: string, input: string, shape: number[]): NeuronNode {
  return ifNeuronNode(name, input, shape, { vThreshold: 0.5 });
}

export interface MaxPoolRewrite extends ModelBundle {
  /** The max-pool nodes rewritten: each is now `<name>.sum` (sumpool) → `<name>` (neuron). */
  rewritten: string[];
}

/** Rewrites every max-pool; a max-pool of non-binary values is an error naming it. */
export function rewriteBinaryMaxPool(bundle: ModelBundle): MaxPoolRewrite {
  const nodes: ModelNode[] = [];
  const rewritten: string[] = [];
  const taken = new Set(bundle.model.nodes.map((n) => n.name));
  for (const node of bundle.model.nodes) {
    if (node.op !== 'maxpool') {
      nodes.push(node);
      continue;
    }
    if (!isBinary(bundle.model, node.inputs[0]!)) {
      throw new NotBinaryError(
        `node '${node.name}': max-pool of '${node.inputs[0]}', whose values are not spikes, has no exact sum-pool form`,
      );
    }
    let sumName = `${node.name}.sum`;
    for (let k = 2; taken.has(sumName); k++) sumName = `${node.name}.sum${k}`;
    taken.add(sumName);
    const sum: PoolNode = { ...node, op: 'sumpool', name: sumName };
    nodes.push(sum, poolThresholdNeuron(node.name, sumName, [...node.shape]));
    rewritten.push(node.name);
  }
  return { model: { ...bundle.model, nodes }, weights: bundle.weights, rewritten };
}
