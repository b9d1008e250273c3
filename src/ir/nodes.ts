/**
 * Model nodes built in code rather than compiled from an architecture: the passes' rewrites, the
 * calibration probes and the tests all need the plain integrate-and-fire neuron, so it is spelt
 * out once here.
 */
import type { NeuronNode } from './model.js';

/**
 * An integrate-and-fire neuron node: θ 1, hard reset to 0, fires at h ≥ θ, arctan surrogate (α 2);
 * `overrides` changes any of them (or makes it a LIF or PLIF).
 */
export function ifNeuronNode(
  name: string,
  input: string,
  shape: number[],
  overrides: Partial<NeuronNode> = {},
): NeuronNode {
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
    ...overrides,
  };
}
