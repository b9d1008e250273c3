/** Free-standing ops that take several tensors. */
import { native } from './native.js';
import { Tensor, type Operand } from './tensor.js';

function handles(tensors: readonly Tensor[], op: string) {
  return tensors.map((t) => t.handle(op));
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(handles(tensors, 'cat'), dim));
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(handles(tensors, 'stack'), dim));
}

/** Elementwise `condition ? a : b`; `condition` is a bool tensor. */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const ha = a instanceof Tensor ? a.handle('where') : a;
  const hb = b instanceof Tensor ? b.handle('where') : b;
  return new Tensor(native.where(condition.handle('where'), ha, hb));
}

export type PadMode = 'constant' | 'reflect' | 'replicate';

/** Pads as PyTorch's F.pad: `pads` lists [before, after] pairs from the last dim backwards. */
export function pad(input: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  return new Tensor(native.pad(input.handle('pad'), pads, mode, value));
}
