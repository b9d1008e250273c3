/**
 * Small models with weights for the graph-pass and exporter tests: a built-in architecture
 * compiled, initialised by the engine, with batch-norm statistics drawn at random (a fresh
 * network's are 0 and 1, which would make folding trivial).
 */
import * as E from '../../src/engine/index.js';
import { builtinArchitecture } from '../../src/snn/architecture.js';
import { compileArchitecture } from '../../src/ir/compile.js';
import { Network } from '../../src/snn/network.js';
import { float32Record, readFloat64, type ModelBundle } from '../../src/ir/bundle.js';
import { createRng } from '../../src/data/index.js';

export function smallBundle(
  name: 'autosnn' | 'cifarnet' | 'resnet19' | 'autosnn-l0' = 'autosnn',
  options: { width?: number; timesteps?: number; seed?: number; input?: [number, number, number] } = {},
): ModelBundle {
  E.manualSeed(options.seed ?? 1);
  const arch = builtinArchitecture(name, {
    width: options.width ?? 4,
    timesteps: options.timesteps ?? 3,
    input: { shape: options.input ?? [1, 32, 32], encoding: 'direct' },
    classes: 10,
  });
  const model = compileArchitecture(arch);
  const network = new Network(model);
  const weights = network.weightRecords();
  network.dispose();
  const rng = createRng(options.seed ?? 1);
  for (const node of model.nodes) {
    if (node.op !== 'batchnorm') continue;
    const c = node.channels;
    weights.set(
      node.weights.runningMean,
      float32Record(
        [c],
        Array.from({ length: c }, () => rng.next() * 0.4 - 0.2),
      ),
    );
    weights.set(
      node.weights.runningVar,
      float32Record(
        [c],
        Array.from({ length: c }, () => 0.5 + rng.next()),
      ),
    );
    const gamma = readFloat64(weights, node.weights.weight).map(() => 0.8 + rng.next() * 0.8);
    weights.set(node.weights.weight, float32Record([c], gamma));
  }
  return { model, weights };
}

/** A random sample for a bundle: uniform in [−1, 2) (direct) or spikes (events), seeded. */
export function randomSample(bundle: ModelBundle, seed: number): Float64Array {
  const rng = createRng(seed);
  const frame = bundle.model.input.shape.reduce((a, b) => a * b, 1);
  const events = bundle.model.input.encoding === 'events';
  const n = events ? frame * bundle.model.timesteps : frame;
  return Float64Array.from({ length: n }, () => (events ? (rng.next() < 0.2 ? 1 : 0) : rng.next() * 3 - 1));
}
