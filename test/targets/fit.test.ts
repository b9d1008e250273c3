/**
 * The fit checks on small hand-built models, one constraint at a time (each issue names its
 * node, and carries a rewrite only where one removes it), and on the built-in architectures:
 * raw, after the rewrites each target asks for, with and without weights.
 */
import test, { type ExecutionContext } from 'ava';
import { float32Record } from '../../src/ir/bundle.js';
import { type Model, type ModelNode, type NeuronNode, type Pair, type PoolOp } from '../../src/ir/model.js';
import { inferShape } from '../../src/ir/shapes.js';
import { validateModel } from '../../src/ir/validate.js';
import { rewriteBinaryMaxPool } from '../../src/ir/passes/binary-maxpool.js';
import { foldBatchNorm } from '../../src/ir/passes/fold-batchnorm.js';
import type { TensorRecord } from '../../src/ir/safetensors.js';
import { getTarget, TARGETS } from '../../targets/index.js';
import { ifNeuron } from '../helpers/nodes.js';
import type { FitIssue, FitReport, RewriteName } from '../../targets/types.js';
import { smallBundle } from '../helpers/bundles.js';

/** Builds a model node by node; each node reads the previous one unless told otherwise. */
class Build {
  readonly nodes: ModelNode[] = [];
  #last = 'input';

  constructor(
    readonly input: number[],
    readonly encoding: 'events' | 'direct' = 'events',
  ) {
    this.nodes.push({ op: 'input', name: 'input', inputs: [], shape: input });
  }

  #push(node: ModelNode | ({ op: ModelNode['op']; name: string } & Record<string, unknown>), inputs: string[]): this {
    const full = { ...node, inputs, shape: [] } as unknown as ModelNode;
    full.shape = inferShape(
      full,
      inputs.map((name) => this.nodes.find((n) => n.name === name)!.shape),
    );
    this.nodes.push(full);
    this.#last = full.name;
    return this;
  }

  shapeOf(name: string): number[] {
    return this.nodes.find((n) => n.name === name)!.shape;
  }

  conv(name: string, out: number, kernel: Pair, options: { stride?: Pair; padding?: Pair; from?: string } = {}): this {
    const from = options.from ?? this.#last;
    const inChannels = this.shapeOf(from)[0]!;
    return this.#push(
      {
        op: 'conv2d',
        name,
        inChannels,
        outChannels: out,
        kernel,
        stride: options.stride ?? [1, 1],
        padding: options.padding ?? [0, 0],
        dilation: [1, 1],
        groups: 1,
        bias: false,
        weights: { weight: `${name}.weight` },
      },
      [from],
    );
  }

  linear(name: string, out: number, from = this.#last): this {
    const inFeatures = this.shapeOf(from)[0]!;
    return this.#push(
      { op: 'linear', name, inFeatures, outFeatures: out, bias: false, weights: { weight: `${name}.weight` } },
      [from],
    );
  }

  neuron(name: string, extra: Partial<NeuronNode> = {}, from = this.#last): this {
    return this.#push(ifNeuron(name, from, [], extra), [from]);
  }

  pool(op: PoolOp, name: string, k: number, from = this.#last): this {
    return this.#push({ op, name, kernel: [k, k], stride: [k, k], padding: [0, 0] }, [from]);
  }

  batchnorm(name: string, from = this.#last): this {
    const channels = this.shapeOf(from)[0]!;
    const weights = { weight: `${name}.g`, bias: `${name}.b`, runningMean: `${name}.m`, runningVar: `${name}.v` };
    return this.#push({ op: 'batchnorm', name, channels, eps: 1e-5, weights }, [from]);
  }

  flatten(name = 'flatten', from = this.#last): this {
    return this.#push({ op: 'flatten', name, startDim: 1 }, [from]);
  }

  add(name: string, inputs: string[]): this {
    return this.#push({ op: 'add', name }, inputs);
  }

  /** A readout of one group per class, and the output. */
  model(): Model {
    const classes = this.shapeOf(this.#last)[0]!;
    this.#push({ op: 'readout', name: 'readout', kind: 'boost', groupSize: 1, reduce: 'sum' }, [this.#last]);
    this.#push({ op: 'output', name: 'output' }, [this.#last]);
    const model: Model = {
      format: 'autosnn-model',
      formatVersion: 1,
      name: 'hand-built',
      timesteps: 2,
      input: { shape: this.input, encoding: this.encoding },
      classes,
      nodes: this.nodes,
      outputs: ['output'],
      provenance: { createdAt: '2025-01-01T00:00:00Z', versions: { autosnn: 'test' } },
    };
    return validateModel(model, 'hand-built');
  }
}

const fit = (target: string, model: Model, weights?: ReadonlyMap<string, TensorRecord>): FitReport =>
  getTarget(target).fit(model, weights);

/** The issues about one node (and one constraint, if given). */
function issuesAt(report: FitReport, node: string, constraint?: RegExp): FitIssue[] {
  return report.issues.filter((i) => i.node === node && (!constraint || constraint.test(i.constraint)));
}

function only(
  t: ExecutionContext,
  report: FitReport,
  node: string,
  constraint: RegExp,
  fixedBy?: RewriteName,
): FitIssue {
  t.false(report.fits);
  t.is(report.issues.length, 1, JSON.stringify(report.issues));
  const issue = report.issues[0]!;
  t.is(issue.node, node);
  t.regex(issue.constraint, constraint);
  t.is(issue.fixedBy, fixedBy);
  t.true(issue.needs.length > 0 && issue.has.length > 0);
  return issue;
}

/** input [2,16,16] → conv 2→4 3×3 → IF → 2×2 pool → flatten → linear 256→10 → IF. */
function speckNet(
  options: { neuron?: Partial<NeuronNode>; pool?: PoolOp; encoding?: 'events' | 'direct' } = {},
): Model {
  return new Build([2, 16, 16], options.encoding)
    .conv('c1', 4, [3, 3], { padding: [1, 1] })
    .neuron('n1', options.neuron)
    .pool(options.pool ?? 'sumpool', 'p1', 2)
    .flatten()
    .linear('fc', 10)
    .neuron('n2')
    .model();
}

test('Speck: a conv → IF → sum-pool network fits, with the memory formulas of formats.md', (t) => {
  const report = fit('speck', speckNet());
  t.deepEqual(report.issues, []);
  t.true(report.fits);
  // conv core: kernel 2 · 2^(⌈log2 9⌉ + ⌈log2 4⌉) = 2 · 2^6 = 128; neurons 4 · 2^(4 + 4) = 1024
  t.is(report.mapping!['kernel:n1'], 128);
  t.is(report.mapping!['neurons:n1'], 1024);
  // the linear layer as an 8×8 convolution over the pooled [4, 8, 8]: 4 · 2^(6 + ⌈log2 10⌉) = 4 · 2^10 = 4096; 10 neurons
  t.is(report.mapping!['kernel:n2'], 4096);
  t.is(report.mapping!['neurons:n2'], 10);
  t.is(report.mapping!.cores, 2);
});

test('Speck: one failing constraint at a time', (t) => {
  only(t, fit('speck', speckNet({ neuron: { model: 'lif', tau: 2 } })), 'n1', /neuron model/);
  only(t, fit('speck', speckNet({ neuron: { model: 'plif', weights: { w: 'n1.w' } } })), 'n1', /neuron model/);
  only(t, fit('speck', speckNet({ pool: 'maxpool' })), 'p1', /max-pooling/, 'maxpool-to-sumpool');
  const avg = fit('speck', speckNet({ pool: 'avgpool' }));
  t.deepEqual(
    avg.issues.map((i) => [i.node, i.has]),
    [['p1', 'average pooling']],
  );
  const real = only(t, fit('speck', speckNet({ encoding: 'direct' })), 'c1', /only spikes/);
  t.regex(real.needs, /run this first layer off-chip, or encode the input as events/);

  const kernel = new Build([2, 16, 16])
    .conv('c', 4, [5, 3], { padding: [2, 1] })
    .neuron('n')
    .flatten()
    .linear('fc', 3)
    .neuron('o');
  t.is(only(t, fit('speck', kernel.model()), 'c', /kernel/).has, '5×3');
  const stride = new Build([2, 16, 16])
    .conv('c', 4, [3, 3], { stride: [3, 3] })
    .neuron('n')
    .flatten()
    .linear('fc', 3)
    .neuron('o');
  t.is(only(t, fit('speck', stride.model()), 'c', /stride/).has, '3×3');
  const padding = new Build([2, 16, 16])
    .conv('c', 4, [3, 3], { padding: [8, 8] })
    .neuron('n')
    .pool('sumpool', 'p', 4);
  t.is(only(t, fit('speck', padding.flatten().linear('fc', 3).neuron('o').model()), 'c', /padding/).has, '8×8');
  const channels = new Build([2, 4, 4])
    .conv('c', 1024, [1, 1])
    .neuron('n')
    .pool('sumpool', 'p', 4)
    .flatten()
    .linear('fc', 3);
  // 1024 channels out of 'c' are 1024 channels into 'fc' (as an 1×1 convolution) too
  t.deepEqual(
    fit('speck', channels.neuron('o').model()).issues.map((i) => [i.node, i.needs, i.has]),
    [
      ['c', 'fewer than 1024 output channels', '1024'],
      ['fc', 'fewer than 1024 input channels', '1024'],
    ],
  );
  const input = new Build([2, 200, 200])
    .conv('c', 2, [8, 8], { stride: [8, 8] })
    .neuron('n')
    .pool('sumpool', 'p', 4);
  t.is(
    only(t, fit('speck', input.flatten().linear('fc', 3).neuron('o').model()), 'input', /input size/).has,
    '200×200',
  );
  const map = new Build([2, 100, 100])
    .conv('c', 2, [3, 3], { padding: [1, 1] })
    .neuron('n')
    .pool('sumpool', 'p', 4);
  map
    .conv('c2', 2, [3, 3], { stride: [2, 2] })
    .neuron('n2')
    .flatten()
    .linear('fc', 3)
    .neuron('o');
  t.is(only(t, fit('speck', map.model()), 'c', /feature map/).has, '100×100');
  const sum3 = new Build([2, 12, 12])
    .conv('c', 2, [3, 3], { padding: [1, 1] })
    .neuron('n')
    .pool('sumpool', 'p', 3);
  only(t, fit('speck', sum3.flatten().linear('fc', 3).neuron('o').model()), 'p', /sum-pool/);
});

test('Speck: core count, core memory and fan-out', (t) => {
  const chain = new Build([2, 8, 8]);
  for (let i = 0; i < 10; i++) chain.conv(`c${i}`, 2, [3, 3], { padding: [1, 1] }).neuron(`n${i}`);
  // 10 conv cores + the linear's core = 11 of 9
  t.is(only(t, fit('speck', chain.flatten().linear('fc', 3).neuron('o').model()), '', /cores/).needs, '11 cores');

  const big = new Build([2, 16, 16]).conv('c', 512, [16, 16]).neuron('n').flatten().linear('fc', 10).neuron('o');
  // kernel memory 2 · 2^(8 + 9) = 262144 entries: no core has more than 64 Ki
  t.regex(only(t, fit('speck', big.model()), 'n', /core memory/).needs, /262144 kernel/);

  const wide = new Build([2, 8, 8]).conv('c', 2, [3, 3], { padding: [1, 1] }).neuron('n1');
  for (const k of ['a', 'b', 'c'])
    wide
      .conv(`c${k}`, 2, [3, 3], { padding: [1, 1], from: 'n1' })
      .neuron(`n${k}`)
      .flatten(`f${k}`);
  // Three spike streams added before one linear layer: a merge, which Speck takes (sources into one core).
  wide.add('merge', ['fa', 'fb', 'fc']).linear('dense', 3).neuron('o');
  const fanOut = only(t, fit('speck', wide.model()), 'n1', /fan-out/);
  t.regex(fanOut.needs, /3 destination cores \(na, nb, nc\)/);
});

test('Speck: a sum into a neuron has no core form; a rewritten max-pool needs an identity core', (t) => {
  const residual = new Build([2, 8, 8]).conv('c1', 2, [3, 3], { padding: [1, 1] }).neuron('n1');
  residual
    .conv('c2', 2, [3, 3], { padding: [1, 1] })
    .add('res', ['c2', 'n1'])
    .neuron('n2')
    .flatten()
    .linear('fc', 3)
    .neuron('o');
  t.regex(only(t, fit('speck', residual.model()), 'res', /one convolution each/).has, /'c2' and 'n1' into neuron 'n2'/);

  const rewritten = rewriteBinaryMaxPool({ model: speckNet({ pool: 'maxpool' }), weights: new Map() }).model;
  const report = fit('speck', rewritten);
  t.deepEqual(report.issues, []);
  // conv core, the threshold neuron's identity core, the linear's core
  t.is(report.mapping!.cores, 3);
  t.is(typeof report.mapping!['identity:p1'], 'string');
  // identity: 4 · 2^(0 + 2) = 16 kernel entries, 4 · 2^(3 + 3) = 256 neuron entries
  t.is(report.mapping!['kernel:p1'], 16);
  t.is(report.mapping!['neurons:p1'], 256);
});

/** input [4] → linear → LIF τ=4 → linear → current-based LIF (τ_syn 2, τ_mem 8). */
function denseNet(
  options: {
    inputs?: number;
    hidden?: number;
    outputs?: number;
    hiddenNeuron?: Partial<NeuronNode>;
    encoding?: 'events' | 'direct';
  } = {},
): Model {
  return new Build([options.inputs ?? 4], options.encoding)
    .linear('fc1', options.hidden ?? 8)
    .neuron('n1', options.hiddenNeuron ?? { model: 'lif', tau: 4 })
    .linear('fc2', options.outputs ?? 3)
    .neuron('n2', { model: 'cuba-lif', tauSyn: 2, tauMem: 8 })
    .model();
}

test('Xylo: a small dense network fits all three; each limit per variant', (t) => {
  for (const name of ['xylo-audio2', 'xylo-audio3', 'xylo-imu']) {
    const report = fit(name, denseNet());
    t.deepEqual(report.issues, [], name);
    t.deepEqual(report.mapping, { hidden: 8, outputs: 3, inputChannels: 4 });
  }
  only(t, fit('xylo-imu', denseNet({ inputs: 20 })), 'input', /input channels/);
  // 1200 hidden neurons: over XyloAudio 2's 1000, XyloAudio 3's 992 and Xylo IMU's 496
  for (const [name, has] of [
    ['xylo-audio2', '1000'],
    ['xylo-audio3', '992'],
    ['xylo-imu', '496'],
  ] as const) {
    t.is(only(t, fit(name, denseNet({ hidden: 1200 })), '', /hidden neurons/).has, has);
  }
  // 10 outputs: over XyloAudio 2's 8, within Xylo IMU's 16
  t.is(only(t, fit('xylo-audio2', denseNet({ outputs: 10 })), '', /output neurons/).has, '8');
  t.deepEqual(fit('xylo-imu', denseNet({ outputs: 10 })).issues, []);
  // 100 targets per hidden neuron: over XyloAudio 2's 64, within XyloAudio 3's 1024
  const wide = new Build([4])
    .linear('fc1', 8)
    .neuron('n1')
    .linear('fc2', 100)
    .neuron('n2')
    .linear('fc3', 3)
    .neuron('o')
    .model();
  t.is(only(t, fit('xylo-audio2', wide), 'n1', /fan-out/).needs, '100 targets per neuron');
  t.deepEqual(fit('xylo-audio3', wide).issues, []);
});

test('Xylo: decays by bit shift, dense layers only, spikes in, no two weight layers in a row', (t) => {
  only(t, fit('xylo-audio2', denseNet({ hiddenNeuron: { model: 'lif', tau: 3 } })), 'n1', /decay/);
  const plif = denseNet({ hiddenNeuron: { model: 'plif', weights: { w: 'n1.w' } } });
  t.regex(only(t, fit('xylo-audio2', plif), 'n1', /decay/).has, /give the weights to check/);
  // sigmoid(0) = 0.5 = 2^−1: a shift; sigmoid(1) = 0.731…: not
  t.deepEqual(fit('xylo-audio2', plif, new Map([['n1.w', float32Record([], [0])]])).issues, []);
  only(t, fit('xylo-audio2', plif, new Map([['n1.w', float32Record([], [1])]])), 'n1', /decay/);
  only(t, fit('xylo-audio2', denseNet({ encoding: 'direct' })), 'fc1', /only spikes/);
  const conv = new Build([1, 4, 4]).conv('c', 2, [3, 3]).neuron('n').flatten().linear('fc', 3).neuron('o');
  t.regex(only(t, fit('xylo-imu', conv.model()), 'c', /layer types/).has, /convolution/);
  const twice = new Build([4]).linear('fc1', 8).linear('fc2', 3).neuron('o');
  only(t, fit('xylo-imu', twice.model()), 'fc2', /weight layers/);
});

test("Loihi: cores per layer, input axons, the chip's 128 cores, weights on its grid", (t) => {
  const small = fit('loihi', denseNet());
  t.deepEqual(small.issues, []);
  t.is(small.mapping!.cores, 2);
  const axons = fit('loihi', denseNet({ inputs: 5000 }));
  t.regex(only(t, axons, 'fc1', /input axons/).needs, /5000 input axons/);
  // 200,000 neurons over 1024 compartments per core = 196 cores; the output layer's 200,000 input
  // axons need ⌈200000 / 4096⌉ = 49 cores (and cannot sit on one): 245 of 128
  const huge = fit('loihi', denseNet({ hidden: 200_000 }));
  t.is(huge.mapping!['cores:n1'], 196);
  t.is(huge.mapping!['cores:n2'], 49);
  t.deepEqual(
    huge.issues.map((i) => [i.node, i.needs]),
    [
      ['fc2', "200000 input axons on every core holding this dense layer's neurons"],
      ['', '245 cores'],
    ],
  );
  // Weights off netx's grid need the quantize rewrite; on it (w·64 even, in [−256, 254]) they pass.
  const weights = (values: number[]): Map<string, TensorRecord> =>
    new Map([
      [
        'fc1.weight',
        float32Record(
          [8, 4],
          Array.from({ length: 32 }, (_, i) => values[i % values.length]!),
        ),
      ],
      [
        'fc2.weight',
        float32Record(
          [3, 8],
          Array.from({ length: 24 }, (_, i) => values[i % values.length]!),
        ),
      ],
    ]);
  const off = fit('loihi', denseNet(), weights([0.1, -0.37, 0.01]));
  t.deepEqual(
    off.issues.map((i) => [i.node, i.fixedBy]),
    [
      ['fc1', 'quantize'],
      ['fc2', 'quantize'],
    ],
  );
  t.deepEqual(fit('loihi', denseNet(), weights([2 / 64, -256 / 64, 254 / 64, 0])).issues, []);
  only(t, fit('loihi-silicon', denseNet({ encoding: 'direct' })), 'fc1', /only spikes/);
});

test('Loihi 2 (netx): sequential layers, scalar CUBA parameters, reset to 0', (t) => {
  t.deepEqual(fit('loihi2', denseNet()).issues, []);
  const residual = new Build([4]).linear('fc1', 4).neuron('n1').linear('fc2', 4).add('res', ['fc2', 'n1']).neuron('n2');
  t.regex(
    only(t, fit('loihi2', residual.linear('fc3', 3).neuron('o').model()), 'res', /sequential/).has,
    /'fc2' and 'n1'/,
  );
  const perChannel = denseNet({ hiddenNeuron: { model: 'plif', perChannel: true, weights: { w: 'n1.w' } } });
  t.regex(only(t, fit('loihi2', perChannel), 'n1', /CUBA/).has, /a leak per channel/);
  t.regex(only(t, fit('loihi2', denseNet({ hiddenNeuron: { reset: 'soft' } })), 'n1', /CUBA/).has, /soft/);
  const pooled = new Build([1, 4, 4])
    .conv('c', 2, [3, 3], { padding: [1, 1] })
    .neuron('n')
    .pool('avgpool', 'p', 2);
  only(t, fit('loihi2', pooled.flatten().linear('fc', 3).neuron('o').model()), 'p', /no pooling layer/);
});

test('TrueNorth: 256 inputs per neuron, 4 weights per neuron, IF only', (t) => {
  t.deepEqual(
    fit('truenorth', denseNet({ hiddenNeuron: {} })).issues.filter((i) => i.node !== 'n2'),
    [],
  );
  // n2 is current-based: TrueNorth's leak is a constant per tick
  only(t, fit('truenorth', denseNet({ hiddenNeuron: {} })), 'n2', /neuron model/);
  const ifOnly = (inputs: number): Model => new Build([inputs]).linear('fc', 3).neuron('o').model();
  t.is(only(t, fit('truenorth', ifOnly(300)), 'o', /inputs per neuron/).needs, '300 inputs per neuron');
  const ternary = new Map([
    [
      'fc.weight',
      float32Record(
        [3, 8],
        Array.from({ length: 24 }, (_, i) => (i % 3) - 1),
      ),
    ],
  ]);
  t.deepEqual(fit('truenorth', ifOnly(8), ternary).issues, []);
  const five = new Map([
    [
      'fc.weight',
      float32Record(
        [3, 8],
        Array.from({ length: 24 }, (_, i) => (i % 6) - 2),
      ),
    ],
  ]);
  const issue = only(t, fit('truenorth', ifOnly(8), five), 'fc', /weights per neuron/);
  t.is(issue.has, '5 distinct weights for one neuron');
  t.is(issue.fixedBy, undefined);
});

test('Cortex-M firmware: its RAM, and what the integer form refuses', (t) => {
  const report = fit('cortex-m', new Build([4]).linear('fc', 8).neuron('n').linear('fc2', 3).neuron('o').model());
  t.deepEqual(report.issues, []);
  // weights 32 + 24 bytes, state (8 + 3) × 4 = 44, spike flags 1 + 1, input 4 = 106 bytes
  t.is(report.mapping!.bytes, 106);
  // 5000 neurons × 4 bytes of state alone: 20000 bytes of 16384
  const big = new Build([4]).linear('fc', 5000).neuron('n').linear('fc2', 3).neuron('o').model();
  t.regex(only(t, fit('cortex-m', big), '', /RAM/).has, /16384 bytes/);
  only(t, fit('cortex-m', denseNet()), 'n2', /neuron model/);
  const avg = new Build([1, 6, 6])
    .conv('c', 2, [3, 3], { padding: [1, 1] })
    .neuron('n')
    .pool('avgpool', 'p', 3);
  only(t, fit('cortex-m', avg.flatten().linear('fc', 3).neuron('o').model()), 'p', /average pooling/);
});

test('smallBundle autosnn on Speck: PLIF, max-pool (fixed by the rewrite), residual add, direct input', (t) => {
  const { model, weights } = smallBundle('autosnn');
  const report = fit('speck', model, weights);
  t.false(report.fits);
  t.true(issuesAt(report, 'stem.neuron', /neuron model/).length === 1);
  t.is(issuesAt(report, 'stem.neuron', /neuron model/)[0]!.fixedBy, undefined);
  t.is(issuesAt(report, 'down0.pool', /max-pooling/)[0]!.fixedBy, 'maxpool-to-sumpool');
  t.is(issuesAt(report, 'op0.add')[0]!.fixedBy, undefined);
  t.is(issuesAt(report, 'stem.conv', /only spikes/).length, 1);
  t.is(issuesAt(report, 'stem.bn')[0]!.fixedBy, 'fold-batchnorm');
  t.is(issuesAt(report, 'stem.conv', /weight precision/)[0]!.fixedBy, 'quantize');
});

for (const name of ['autosnn', 'cifarnet', 'resnet19'] as const) {
  test(`every target checks ${name} without throwing; the rewrites remove every issue they claim to`, (t) => {
    const bundle = smallBundle(name);
    const folded = foldBatchNorm(bundle);
    const prepared = rewriteBinaryMaxPool(folded);
    for (const target of Object.values(TARGETS)) {
      for (const report of [target.fit(bundle.model), target.fit(bundle.model, bundle.weights)]) {
        t.is(report.target, target.name);
        t.is(report.fits, report.issues.length === 0);
        for (const issue of report.issues) {
          t.true(issue.constraint.length > 0 && issue.needs.length > 0 && issue.has.length > 0, target.name);
          if (issue.fixedBy) t.true(target.rewrites.includes(issue.fixedBy), `${target.name}: ${issue.fixedBy}`);
        }
      }
      const after = target.fit(prepared.model);
      const left = after.issues.filter((i) => i.fixedBy === 'fold-batchnorm' || i.fixedBy === 'maxpool-to-sumpool');
      t.deepEqual(left, [], target.name);
    }
  });
}
