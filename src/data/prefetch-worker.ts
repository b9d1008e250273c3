/**
 * The batch worker of ./prefetch.ts: rebuilds the dataset from its recipe, then answers each
 * request with the BatchLoader's batch, its buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchLoader } from './dataset.js';
import { getDataset, prepareDownloadedDatasets, type DatasetOptions } from './index.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './prefetch.js';

const port = parentPort!;
const plain = (error: unknown) => ({
  message: error instanceof Error ? error.message : String(error),
  name: error instanceof Error ? error.name : 'Error',
});

try {
  const setup = workerData as WorkerSetup;
  await prepareDownloadedDatasets();
  const dataset = getDataset(setup.recipe.name, setup.recipe.options as DatasetOptions);
  const loader = new BatchLoader(dataset, setup.split, setup.options);
  port.on('message', (request: WorkerRequest) => {
    try {
      const batch = loader.batch(request.epoch, request.index);
      port.postMessage({ id: request.id, batch } satisfies WorkerReply, [
        batch.data.buffer as ArrayBuffer,
        batch.labels.buffer as ArrayBuffer,
        batch.indices.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      port.postMessage({ id: request.id, error: plain(error) } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true, batchesPerEpoch: loader.batchesPerEpoch } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ fatal: plain(error) } satisfies WorkerReply);
}
