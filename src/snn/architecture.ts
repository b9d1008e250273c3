/**
 * Architecture JSON: what the search space describes and the compiler (src/ir/compile.ts)
 * turns into a model graph. Plain data, validated here with errors that name the field.
 *
 * AutoSNN's macro backbone (spec "Search space"), input 32×32, width C:
 *
 *   stem conv3×3 in→C + BN + neuron
 *   op0(C→C)    ↓2
 *   op1(C→2C)   op2(2C→2C)   ↓2
 *   op3(2C→4C)  op4(4C→4C)   ↓2
 *   flatten (4C·4·4) → Linear → 10·classes → neuron → boost readout
 *
 * where ↓2 is max-pool on spikes (SNN_1), avg-pool + neuron (SNN_4), or a stride of 2 on the
 * op before it (SNN_3); SNN_2 adds a spiking global average pool before the classifier.
 */
import { neuronConfig, PLIF_DEFAULTS, type NeuronConfig } from './neuron.js';

export const SEARCH_OPS = ['skip_connect', 'SCB_k3', 'SCB_k5', 'SRB_k3', 'SRB_k5'] as const;
export type SearchOp = (typeof SEARCH_OPS)[number];
export const POSITIONS = 5;

/** SNN_1 the paper's; SNN_2 + spiking GAP; SNN_3 stride-2 ops; SNN_4 avg-pool + neuron. */
export type Backbone = 'snn1' | 'snn2' | 'snn3' | 'snn4';

export interface InputSpec {
  /** [channels, height, width] of one frame. */
  shape: [number, number, number];
  /** direct: one real-valued image drives every step; events: frame t drives step t. */
  encoding: 'direct' | 'events';
}

interface Common {
  name: string;
  /** Timesteps T (8 in all the paper's scripts). */
  timesteps: number;
  input: InputSpec;
  classes: number;
  neuron: NeuronConfig;
  /** Output neurons per class, averaged by the boost readout (10 in the paper). */
  readoutGroup: number;
}

export interface AutoSnnArchitecture extends Common {
  kind: 'autosnn';
  backbone: Backbone;
  /**
   * Downsampling pool of snn1/snn2: max-pooling of spikes (the paper's), or sum-pooling (chips
   * that only sum-pool, e.g. Speck; its output counts spikes and is not binary).
   */
  pool: 'max' | 'sum';
  /** Width C (16 by default; 32/64/128 scale every layer). */
  width: number;
  ops: SearchOp[];
}

/** A hand-crafted plain conv net in the style of CIFARNet (Wu et al. 2019): conv widths, ↓2 after the marked ones. */
export interface CifarNetArchitecture extends Common {
  kind: 'cifarnet';
  width: number;
}

/** A ResNet-19-style spiking net (Zheng et al. 2021): 3 stages of SRB_k3 blocks. */
export interface ResNet19Architecture extends Common {
  kind: 'resnet19';
  width: number;
}

/**
 * A spiking multi-layer perceptron: the frame flattened, spiking hidden layers of the given
 * widths, then the classifier and readout. For inputs the conv backbones do not take, such as
 * SHD's 1×700 channels.
 */
export interface MlpArchitecture extends Common {
  kind: 'mlp';
  /** Widths of the hidden spiking layers, input side first. */
  hidden: number[];
}

export type Architecture = AutoSnnArchitecture | CifarNetArchitecture | ResNet19Architecture | MlpArchitecture;

/** The architectures the AutoSNN authors published (spec table), by the λ they were searched with. */
export const PUBLISHED_OPS: Record<string, SearchOp[]> = {
  autosnn: ['SRB_k5', 'SRB_k5', 'skip_connect', 'SRB_k3', 'SRB_k5'],
  'autosnn-l0': ['SRB_k5', 'SRB_k5', 'SRB_k5', 'SCB_k5', 'SRB_k5'],
  'autosnn-l16': ['SRB_k5', 'SRB_k5', 'skip_connect', 'SRB_k5', 'SRB_k5'],
  'autosnn-l24': ['skip_connect', 'SRB_k5', 'skip_connect', 'SCB_k5', 'SRB_k5'],
};

export const BUILTIN_ARCHITECTURES = [...Object.keys(PUBLISHED_OPS), 'cifarnet', 'resnet19', 'mlp'] as const;

/** The built-in `mlp`: two hidden layers of 16·C neurons (256 at the default C = 16). */
export const MLP_HIDDEN_PER_WIDTH = 16;

/** Settings a caller may change when instantiating a built-in architecture. */
export interface ArchitectureSettings {
  width?: number;
  timesteps?: number;
  input?: InputSpec;
  classes?: number;
  neuron?: NeuronConfig;
  backbone?: Backbone;
  pool?: 'max' | 'sum';
}

export class ArchitectureError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${source}: ${path}: ${detail}`);
    this.name = 'ArchitectureError';
  }
}

const DEFAULT_INPUT: InputSpec = { shape: [3, 32, 32], encoding: 'direct' };

/** A built-in architecture by name, with the paper's defaults (C = 16, T = 8, 10 classes, PLIF). */
export function builtinArchitecture(name: string, settings: ArchitectureSettings = {}): Architecture {
  const common: Common = {
    name,
    timesteps: settings.timesteps ?? 8,
    input: settings.input ?? DEFAULT_INPUT,
    classes: settings.classes ?? 10,
    neuron: settings.neuron ?? PLIF_DEFAULTS,
    readoutGroup: 10,
  };
  const width = settings.width ?? 16;
  const ops = PUBLISHED_OPS[name];
  let arch: Architecture;
  if (ops) {
    arch = {
      ...common,
      kind: 'autosnn',
      backbone: settings.backbone ?? 'snn1',
      pool: settings.pool ?? 'max',
      width,
      ops: [...ops],
    };
  } else if (name === 'cifarnet') arch = { ...common, kind: 'cifarnet', width };
  else if (name === 'resnet19') arch = { ...common, kind: 'resnet19', width };
  else if (name === 'mlp') {
    arch = { ...common, kind: 'mlp', hidden: [MLP_HIDDEN_PER_WIDTH * width, MLP_HIDDEN_PER_WIDTH * width] };
  } else {
    throw new ArchitectureError(
      'architecture',
      'name',
      `unknown built-in '${name}' (built-ins: ${BUILTIN_ARCHITECTURES.join(', ')}; or give a JSON file)`,
    );
  }
  return parseArchitecture(arch, `built-in '${name}'`);
}

/** The conv backbones downsample a square frame of 32, 64 or 128 to 32×32; an MLP takes any frame. */
export function convBackbonesTake(shape: readonly number[]): boolean {
  const [, height, width] = shape;
  return shape.length === 3 && height === width && [32, 64, 128].includes(height!);
}

function fail(source: string, path: string, detail: string): never {
  throw new ArchitectureError(source, path, detail);
}

function positiveInteger(value: unknown, source: string, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(source, path, `expected a whole number ≥ 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks an architecture given as JSON; every problem names its field. */
export function parseArchitecture(json: unknown, source: string): Architecture {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(source, '$', 'expected a JSON object');
  const a = json as Record<string, unknown>;
  const kind = a.kind;
  if (kind !== 'autosnn' && kind !== 'cifarnet' && kind !== 'resnet19' && kind !== 'mlp') {
    fail(source, 'kind', `expected 'autosnn', 'cifarnet', 'resnet19' or 'mlp', got ${JSON.stringify(kind)}`);
  }
  const name = typeof a.name === 'string' && a.name.length > 0 ? a.name : fail(source, 'name', 'expected a string');
  const timesteps = positiveInteger(a.timesteps, source, 'timesteps');
  const classes = positiveInteger(a.classes, source, 'classes');
  const readoutGroup = positiveInteger(a.readoutGroup ?? 10, source, 'readoutGroup');
  const input = a.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null) fail(source, 'input', 'expected { shape, encoding }');
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.length !== 3) fail(source, 'input.shape', 'expected [channels, height, width]');
  shape.forEach((v, i) => positiveInteger(v, source, `input.shape[${i}]`));
  const [channels, height, widthPx] = shape as [number, number, number];
  if (kind !== 'mlp' && !convBackbonesTake(shape as [number, number, number])) {
    fail(
      source,
      'input.shape',
      `the backbone takes 32×32, 64×64 or 128×128 frames, got ${height}×${widthPx} (an mlp architecture takes any frame)`,
    );
  }
  const encoding = input.encoding;
  if (encoding !== 'direct' && encoding !== 'events') {
    fail(source, 'input.encoding', `expected 'direct' or 'events', got ${JSON.stringify(encoding)}`);
  }
  let neuron: NeuronConfig;
  try {
    neuron = neuronConfig((a.neuron ?? {}) as Partial<NeuronConfig>);
  } catch (error) {
    fail(source, 'neuron', (error as Error).message);
  }
  const common: Common = {
    name,
    timesteps,
    classes,
    readoutGroup,
    input: { shape: [channels, height, widthPx], encoding },
    neuron,
  };
  if (kind === 'mlp') {
    const hidden = a.hidden;
    // No hidden layer is allowed: the classifier then spikes straight from the input.
    if (!Array.isArray(hidden)) fail(source, 'hidden', 'expected the widths of the hidden layers, e.g. [256, 256]');
    return { ...common, kind, hidden: hidden.map((h, i) => positiveInteger(h, source, `hidden[${i}]`)) };
  }
  const width = positiveInteger(a.width, source, 'width');
  if (kind !== 'autosnn') return { ...common, kind, width };
  const backbone = a.backbone ?? 'snn1';
  if (backbone !== 'snn1' && backbone !== 'snn2' && backbone !== 'snn3' && backbone !== 'snn4') {
    fail(source, 'backbone', `expected snn1, snn2, snn3 or snn4, got ${JSON.stringify(backbone)}`);
  }
  const ops = a.ops;
  if (!Array.isArray(ops) || ops.length !== POSITIONS) {
    fail(source, 'ops', `expected ${POSITIONS} operation names (one per searched position)`);
  }
  ops.forEach((op, i) => {
    if (!SEARCH_OPS.includes(op as SearchOp)) {
      fail(source, `ops[${i}]`, `unknown operation ${JSON.stringify(op)} (expected one of ${SEARCH_OPS.join(', ')})`);
    }
  });
  const pool = a.pool ?? 'max';
  if (pool !== 'max' && pool !== 'sum') fail(source, 'pool', `expected 'max' or 'sum', got ${JSON.stringify(pool)}`);
  return { ...common, kind, backbone, pool, width, ops: ops as SearchOp[] };
}
