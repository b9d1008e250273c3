/**
 * Hand-built model nodes for tests: the settings most tests share, overridden where a test is
 * about one of them.
 */
import type { Conv2dNode } from '../../src/ir/model.js';
import { ifNeuronNode } from '../../src/ir/nodes.js';

/** An integrate-and-fire neuron (θ 1, hard reset to 0, ≥, arctan α 2): the project's own ifNeuronNode. */
export const ifNeuron = ifNeuronNode;

/** A 3×3 convolution, stride 1, padding 1 (same size), no bias; its weight is `<name>.weight`. */
export function conv3x3(
  name: string,
  input: string,
  channels: { in: number; out: number },
  shape: number[],
  extra: Partial<Conv2dNode> = {},
): Conv2dNode {
  return {
    op: 'conv2d',
    name,
    inputs: [input],
    shape,
    inChannels: channels.in,
    outChannels: channels.out,
    kernel: [3, 3],
    stride: [1, 1],
    padding: [1, 1],
    dilation: [1, 1],
    groups: 1,
    bias: false,
    weights: { weight: `${name}.weight` },
    ...extra,
  };
}
