/**
 * The supernet (spec "Supernet training"): every candidate operation of every searched position
 * holds its own weights; the stem, the downsampling layers and the classifier are shared by all.
 * Single-path one-shot training draws one architecture uniformly per mini-batch and trains only
 * that path. A candidate runs as an ordinary Network over the supernet's tensors (no copies).
 *
 * Tensors are keyed by their weight name in the compiled candidate, with the position's
 * operation spliced in for searched positions: `op3.1.conv.weight` of a candidate whose position
 * 3 is SRB_k5 is the supernet's `op3[SRB_k5].1.conv.weight`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as E from '../engine/index.js';
import { compileArchitecture } from '../ir/compile.js';
import { decodeSafetensors, encodeSafetensors, type TensorRecord } from '../ir/safetensors.js';
import type { Model } from '../ir/model.js';
import { Network } from '../snn/network.js';
import { rateLoss } from '../snn/loss.js';
import { POSITIONS } from '../snn/architecture.js';
import { architectureOf, type Genome, type SearchSpace } from './space.js';

const POSITION_TENSOR = /^op(\d+)\.(.*)$/;

/** The supernet's key of a candidate's weight name. */
export function supernetKey(tensorName: string, genome: Genome): string {
  const match = POSITION_TENSOR.exec(tensorName);
  if (!match) return tensorName;
  const position = Number(match[1]);
  return `op${position}[${genome[position]}].${match[2]}`;
}

function tensorNamesOf(model: Model): string[] {
  const names: string[] = [];
  for (const node of model.nodes) {
    if ('weights' in node && node.weights) names.push(...Object.values(node.weights as Record<string, string>));
  }
  return names;
}

export interface CandidateNetwork {
  network: Network;
  model: Model;
  /** Frees the candidate's own tensors (its batch-norm statistics when they were copied). */
  dispose(): void;
}

export class Supernet {
  readonly space: SearchSpace;
  readonly device: E.Device;
  /** Supernet key → tensor (parameters and batch-norm running statistics). */
  readonly #store = new Map<string, E.Tensor>();
  /** The networks whose modules own the store's tensors. */
  readonly #owners: Network[] = [];

  /** Initialises every (position, operation) pair's weights, PyTorch-style, from the engine's seed. */
  constructor(space: SearchSpace, device: E.Device = 'cpu') {
    this.space = space;
    this.device = device;
    // One network per operation with that operation everywhere covers every (position, op) pair.
    for (const op of space.ops) {
      const genome = Array<typeof op>(POSITIONS).fill(op);
      const owner = new Network(compileArchitecture(architectureOf(space, genome)), { device });
      this.#owners.push(owner);
      for (const [name, tensor] of owner.namedTensors()) {
        const key = supernetKey(name, genome);
        if (!this.#store.has(key)) this.#store.set(key, tensor);
      }
    }
  }

  /** Every trainable tensor, in a fixed order (the optimizer's, and its saved state's). */
  parameters(): E.Tensor[] {
    return [...this.#store.values()].filter((t) => t.requiresGrad);
  }

  get tensorCount(): number {
    return this.#store.size;
  }

  /**
   * The candidate `genome` as a network over the supernet's tensors. With `ownStatistics`, its
   * batch-norm running statistics are copies (so recalibrating them for scoring leaves the
   * supernet's untouched).
   */
  candidate(genome: Genome, options: { ownStatistics?: boolean } = {}): CandidateNetwork {
    const model = compileArchitecture(architectureOf(this.space, genome));
    const tensors = new Map<string, E.Tensor>();
    const copies: E.Tensor[] = [];
    const statistics = new Set<string>();
    if (options.ownStatistics) {
      for (const node of model.nodes) {
        if (node.op === 'batchnorm') statistics.add(node.weights.runningMean).add(node.weights.runningVar);
      }
    }
    for (const name of tensorNamesOf(model)) {
      const shared = this.#store.get(supernetKey(name, genome));
      if (!shared) throw new Error(`supernet: no tensor for '${name}' of ${genome.join(',')}`);
      if (statistics.has(name)) {
        const copy = E.keep(shared.clone());
        copies.push(copy);
        tensors.set(name, copy);
      } else {
        tensors.set(name, shared);
      }
    }
    const network = new Network(model, { tensors, device: this.device });
    return {
      network,
      model,
      dispose: () => {
        network.dispose();
        E.dispose(copies);
      },
    };
  }

  /** One single-path step: the sampled candidate's forward, MSE on rates, backward, update. */
  trainStep(genome: Genome, x: E.Tensor, y: E.Tensor, optimizer: E.Optimizer): number {
    const candidate = this.candidate(genome);
    try {
      candidate.network.train();
      return E.tidy(() => {
        optimizer.zeroGrad();
        const counts = candidate.network.forward(x);
        const loss = rateLoss('mse', counts, y, this.space.timesteps);
        loss.backward();
        optimizer.step();
        return loss.item() as number;
      });
    } finally {
      candidate.dispose();
    }
  }

  /** Writes every tensor (safetensors, by key) and the optimizer's state, atomically. */
  async save(dir: string, optimizer: E.Optimizer): Promise<void> {
    await mkdir(dir, { recursive: true });
    const records: Record<string, TensorRecord> = {};
    for (const [key, tensor] of this.#store) {
      const data = E.tidy(() => tensor.detach().to('float32', 'cpu').toTypedArray()) as Float32Array;
      records[key] = { dtype: 'F32', shape: [...tensor.shape], data };
    }
    const weights = path.join(dir, 'supernet.safetensors');
    await writeFile(`${weights}.tmp`, encodeSafetensors(records));
    optimizer.save(path.join(dir, 'optimizer.pt.tmp'));
    await rename(`${weights}.tmp`, weights);
    await rename(path.join(dir, 'optimizer.pt.tmp'), path.join(dir, 'optimizer.pt'));
  }

  /** Restores what save() wrote; every key must match this supernet's. */
  async load(dir: string, optimizer: E.Optimizer): Promise<void> {
    const file = path.join(dir, 'supernet.safetensors');
    const { tensors } = decodeSafetensors(await readFile(file), file);
    for (const [key, tensor] of this.#store) {
      const record = tensors.get(key);
      if (!record) throw new Error(`${file}: no tensor '${key}' (the checkpoint is of another search space)`);
      E.tidy(() =>
        E.noGrad(() => {
          const source = E.tensor(record.data as Float32Array, { shape: record.shape, device: this.device });
          tensor.assign(source.to(tensor.dtype));
        }),
      );
    }
    optimizer.load(path.join(dir, 'optimizer.pt'));
  }

  dispose(): void {
    for (const owner of this.#owners) owner.dispose();
    this.#owners.length = 0;
    this.#store.clear();
  }
}
