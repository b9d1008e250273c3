/**
 * The graph passes, and the one way a target's rewrites are applied before its fit check (the
 * search and `autosnn estimate` both use it). With weights, batch norms are really folded; without
 * (the search checks structure only), the graph is rewired the same way.
 */
import type { Model } from '../model.js';
import type { TensorRecord } from '../safetensors.js';
import { foldBatchNorm, foldBatchNormStructure } from './fold-batchnorm.js';
import { rewriteBinaryMaxPool } from './binary-maxpool.js';

export { foldBatchNorm, foldBatchNormStructure, describeUnfolded } from './fold-batchnorm.js';
export { rewriteBinaryMaxPool, isBinary, NotBinaryError } from './binary-maxpool.js';

export type Rewrite = 'fold-batchnorm' | 'maxpool-to-sumpool' | 'quantize';

export interface Rewritten {
  model: Model;
  weights?: Map<string, TensorRecord>;
  /** Rewrites that could not be applied, and why (the fit check then reports what remains). */
  notes: string[];
}

export function applyRewrites(
  model: Model,
  weights: ReadonlyMap<string, TensorRecord> | undefined,
  rewrites: readonly Rewrite[],
): Rewritten {
  let current = model;
  let currentWeights = weights ? new Map(weights) : undefined;
  const notes: string[] = [];
  for (const rewrite of rewrites) {
    if (rewrite === 'fold-batchnorm') {
      if (currentWeights) {
        const folded = foldBatchNorm({ model: current, weights: currentWeights });
        current = folded.model;
        currentWeights = folded.weights;
      } else {
        current = foldBatchNormStructure(current);
      }
    }
    if (rewrite === 'maxpool-to-sumpool' && current.nodes.some((n) => n.op === 'maxpool')) {
      try {
        current = rewriteBinaryMaxPool({ model: current, weights: currentWeights ?? new Map() }).model;
      } catch (error) {
        notes.push((error as Error).message);
      }
    }
    // 'quantize' changes values, not structure: a fit check reads the target's rules itself.
  }
  return { model: current, ...(currentWeights ? { weights: currentWeights } : {}), notes };
}
