/**
 * Real samples for checking an exported model: the first N of a split of the dataset the model
 * was trained on (its provenance), normalised as training normalised them, one sample per array
 * (one frame for direct encoding, T frames for events).
 */
import { BatchLoader, getDataset, type SplitName } from '../data/index.js';
import type { Model } from '../ir/model.js';
import * as E from '../engine/index.js';
import { Network } from '../snn/network.js';
import type { ModelBundle } from '../ir/bundle.js';
import { predictions } from '../snn/loss.js';

export interface Samples {
  dataset: string;
  split: SplitName;
  data: Float32Array[];
  labels: number[];
}

export function modelSamples(
  model: Model,
  count: number,
  options: { dataset?: string; split?: SplitName } = {},
): Samples {
  const name = options.dataset ?? model.provenance.dataset;
  if (!name) {
    throw new Error(`model '${model.name}' does not record its dataset (provenance.dataset): give --dataset`);
  }
  // The model's own event pipeline (filters, downsampling) unless another dataset is asked for.
  const pipeline = options.dataset === undefined ? model.provenance.eventPipeline : undefined;
  const dataset = getDataset(name, pipeline ? { events: pipeline } : {});
  const split = options.split ?? 'test';
  const available = dataset.split(split).length;
  const n = Math.min(count, available);
  const loader = new BatchLoader(dataset, split, {
    batchSize: Math.min(64, n),
    timesteps: model.timesteps,
    seed: 0,
    shuffle: false,
  });
  const data: Float32Array[] = [];
  const labels: number[] = [];
  const events = model.input.encoding === 'events';
  for (let b = 0; data.length < n; b++) {
    const batch = loader.batch(0, b);
    const batchSize = batch.labels.length;
    const perSample = batch.data.length / batchSize;
    for (let i = 0; i < batchSize && data.length < n; i++) {
      if (events) {
        // [T, N, C, H, W] → this sample's T frames.
        const frame = perSample / model.timesteps;
        const sample = new Float32Array(perSample);
        for (let t = 0; t < model.timesteps; t++) {
          sample.set(batch.data.subarray((t * batchSize + i) * frame, (t * batchSize + i + 1) * frame), t * frame);
        }
        data.push(sample);
      } else {
        data.push(batch.data.slice(i * perSample, (i + 1) * perSample));
      }
      labels.push(Number(batch.labels[i]));
    }
  }
  return { dataset: name, split, data, labels };
}

/** The engine's predictions for samples (float32, as trained): the float reference of exports. */
export function enginePredictions(bundle: ModelBundle, samples: readonly Float32Array[]): number[] {
  const network = new Network(bundle.model, { weights: bundle.weights });
  network.eval();
  const out: number[] = [];
  const events = bundle.model.input.encoding === 'events';
  const frame = bundle.model.input.shape;
  try {
    for (let start = 0; start < samples.length; start += 64) {
      const chunk = samples.slice(start, start + 64);
      E.tidy(() =>
        E.noGrad(() => {
          const joined = new Float32Array(chunk.reduce((n, s) => n + s.length, 0));
          let offset = 0;
          for (const s of chunk) {
            joined.set(s, offset);
            offset += s.length;
          }
          let x = E.tensor(joined, { shape: [chunk.length, ...(events ? [bundle.model.timesteps] : []), ...frame] });
          if (events) x = x.transpose(0, 1).contiguous();
          out.push(...predictions(network.forward(x)).toNumbers());
        }),
      );
    }
  } finally {
    network.dispose();
  }
  return out;
}
