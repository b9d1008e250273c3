/**
 * Learning-rate schedules: pure functions from the step index (0-based) to a rate. A training
 * loop sets `optimizer.lr = schedule(step)` before each step.
 */
export type Schedule = (step: number) => number;

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`schedule step must be an integer ≥ 0, got ${step}`);
}

export function constant(lr: number): Schedule {
  return (step) => {
    checkStep(step);
    return lr;
  };
}

/** lr · gamma^⌊step / stepSize⌋ (PyTorch's StepLR). */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  if (!Number.isInteger(stepSize) || stepSize < 1) throw new RangeError('stepSize must be an integer ≥ 1');
  return (step) => {
    checkStep(step);
    return lr * Math.pow(gamma, Math.floor(step / stepSize));
  };
}

/**
 * Cosine annealing from `lr` to `minLr` over `totalSteps` (PyTorch's CosineAnnealingLR
 * closed form); stays at `minLr` afterwards.
 */
export function cosine(lr: number, totalSteps: number, minLr = 0): Schedule {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError('totalSteps must be an integer ≥ 1');
  return (step) => {
    checkStep(step);
    const t = Math.min(step, totalSteps);
    return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / totalSteps))) / 2;
  };
}

/**
 * Linear warm-up: the rate rises from `inner(0)·startFactor` towards `inner(0)` over
 * `warmupSteps` steps, then follows `inner` shifted by the warm-up (PyTorch's LinearLR then
 * SequentialLR).
 */
export function warmup(inner: Schedule, warmupSteps: number, startFactor = 0): Schedule {
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new RangeError('warmupSteps must be an integer ≥ 0');
  return (step) => {
    checkStep(step);
    if (step >= warmupSteps) return inner(step - warmupSteps);
    const factor = startFactor + ((1 - startFactor) * step) / warmupSteps;
    return inner(0) * factor;
  };
}
