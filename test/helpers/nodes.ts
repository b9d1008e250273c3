/**
 * Hand-built model nodes for tests: the settings most tests share, overridden where a test is
 * about one of them.
 */
import type { Conv2dNode, NeuronNode } from '../../src/ir/model.js';

/** An integrate-and-fire neuron: θ 1, hard reset to 0, fires at v ≥ θ, arctan surrogate (α 2). */
export function ifNeuron(name: string, input: string, shape: number[], extra: Partial<NeuronNode> = {}): NeuronNode {
  return {
    op: 'neuron',
    name,
    inputs: [input],
    shape,
    model: 'if',
    vThreshold: 1,
    vReset: 0,
    reset: 'hard',
    decayInput: true,
    thresholdTest: '>=',
    perChannel: false,
    surrogate: { name: 'arctan', alpha: 2 },
    ...extra,
  };
}

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
