/**
 * Activity and accuracy of a model on real samples: what `autosnn estimate`, the search's
 * energy objective and the reports read. Runs the model through the engine (eval mode, no
 * gradients) with the one activity counter (./activity.ts) watching every node.
 */
import * as E from '../engine/index.js';
import { BatchLoader, type Dataset, type SplitName } from '../data/index.js';
import type { ModelBundle } from '../ir/bundle.js';
import { Network } from './network.js';
import { ActivityCounter, type Activity } from './activity.js';
import { predictions } from './loss.js';

export interface MeasureOptions {
  /** How many samples (from the start of the split, in its fixed order). */
  samples: number;
  split?: SplitName;
  batchSize?: number;
  device?: E.Device;
  /** Count synaptic operations (the extra binarised convolutions double the cost). */
  synops?: boolean;
  onBatch?: (done: number, total: number) => void;
}

export interface Measurement {
  activity: Activity;
  accuracy: number;
  samples: number;
}

export function measureActivity(bundle: ModelBundle, dataset: Dataset, options: MeasureOptions): Measurement {
  const { model } = bundle;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 64, options.samples));
  const split = options.split ?? 'test';
  const available = dataset.split(split).length;
  if (options.samples > available) {
    throw new RangeError(`--samples ${options.samples}: the ${dataset.name} ${split} split has ${available} samples`);
  }
  const loader = new BatchLoader(dataset, split, { batchSize, timesteps: model.timesteps, seed: 0, shuffle: false });
  const network = new Network(model, { weights: bundle.weights, device: options.device ?? 'cpu' });
  network.eval();
  const counter = new ActivityCounter(network, { synops: options.synops ?? true });
  const batches = Math.ceil(options.samples / batchSize);
  let correct = 0;
  let seen = 0;
  try {
    for (let b = 0; b < batches; b++) {
      const batch = loader.batch(0, b);
      const take = Math.min(batch.labels.length, options.samples - seen);
      correct += E.tidy(() =>
        E.noGrad(() => {
          const events = model.input.encoding === 'events';
          let x = E.tensor(batch.data, { shape: batch.shape, device: options.device ?? 'cpu' });
          let y = E.tensor(batch.labels as BigInt64Array, { shape: [batch.labels.length] });
          if (take < batch.labels.length) {
            x = x.narrow(events ? 1 : 0, 0, take);
            y = y.narrow(0, 0, take);
          }
          const counts = network.forward(x, { observe: counter.observe }).to('cpu');
          return predictions(counts).eq(y).sum().item() as number;
        }),
      );
      seen += take;
      options.onBatch?.(seen, options.samples);
    }
  } finally {
    network.dispose();
  }
  return { activity: counter.result(), accuracy: seen > 0 ? correct / seen : 0, samples: seen };
}
