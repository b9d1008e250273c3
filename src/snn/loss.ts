/**
 * Losses on the readout's spike counts (AutoSNN spec "Encoding, readout, loss"): the paper's
 * MSE between spike rate (count / T) and the one-hot label, or cross-entropy on rates.
 * Predictions are the argmax of counts.
 */
import * as E from '../engine/index.js';

export type LossName = 'mse' | 'cross-entropy';

/** counts [N, classes] summed over T steps; labels int64 [N]. */
export function rateLoss(name: LossName, counts: E.Tensor, labels: E.Tensor, timesteps: number): E.Tensor {
  return E.tidy(() => {
    const rates = counts.div(timesteps);
    if (name === 'cross-entropy') return E.F.crossEntropy(rates, labels);
    const classes = counts.size(1);
    const target = E.F.oneHot(labels, classes).to(rates.dtype);
    return E.F.mseLoss(rates, target);
  });
}

/** The predicted class of each sample: the output group that fired most (first on ties). */
export function predictions(counts: E.Tensor): E.Tensor {
  return counts.argmax(1);
}
