/** Grad-mode scopes. */
import { native } from './native.js';

/** Runs `fn` with gradient recording off (inference, metrics, weight updates by hand). */
export function noGrad<R>(fn: () => R): R {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
