/**
 * GPU benchmarks (issue: the GPU path), on synthetic data of CIFAR-10's shape:
 *  - one training step of `autosnn` (C = 128, T = 8, batch 96, 3×32×32) against the same network
 *    op by op in PyTorch eager (bench/reference_gpu.py) on the same GPU in the same run, in
 *    float32 and with autocast to bfloat16, and split into its phases (forward, forward +
 *    backward, the Adam step alone — ours multi-tensor, and libtorch's per-parameter step);
 *  - the fused neuron kernel against the op-by-op neuron at T = 4, 8, 16, float32 and bfloat16,
 *    and its effective bandwidth (the bytes its two passes must move ÷ its time) against the
 *    device's measured copy bandwidth;
 *  - achieved convolution TFLOP/s against this GPU's measured bfloat16 matrix-product peak;
 * and, as the separate group `gpu-search` (run first in a rental: it is what the search costs),
 * supernet training and candidate scoring at the paper's CIFAR-10 size, projected onto the
 * paper's full search.
 * `--dry-run` runs every code path on the CPU at toy sizes (CI), so the benchmark cannot rot
 * between GPU rentals; its numbers mean nothing.
 */
import * as E from '../src/engine/index.js';
import { neuronConfig, runNeuron, plifWeightForTau } from '../src/snn/neuron.js';
import { runNeuronOpByOp } from '../src/snn/neuron-opbyop.js';
import { builtinArchitecture } from '../src/snn/architecture.js';
import { compileArchitecture } from '../src/ir/compile.js';
import { Network } from '../src/snn/network.js';
import { rateLoss } from '../src/snn/loss.js';
import { runPythonReference } from './python-reference.js';
import { Supernet } from '../src/search/supernet.js';
import { neuronOf, randomGenome, type SearchSpace } from '../src/search/space.js';
import { ActivityCounter } from '../src/snn/activity.js';
import { createRng } from '../src/data/index.js';
import { SEARCH_OPS } from '../src/snn/architecture.js';
import { printTable, type Row } from './timing.js';

interface Sizes {
  width: number;
  batch: number;
  timesteps: number;
  /** [N, C, H, W] of one step of the neuron benchmark's input. */
  neuronStep: [number, number, number, number];
  neuronTimesteps: number[];
  /** Convolution benchmark: input [N, C, H, W], 3×3, C → C. */
  conv: [number, number, number, number];
  matmul: number;
}

const FULL: Sizes = {
  width: 128,
  batch: 96,
  timesteps: 8,
  neuronStep: [96, 128, 16, 16],
  neuronTimesteps: [4, 8, 16],
  conv: [768, 128, 32, 32],
  matmul: 8192,
};

const DRY: Sizes = {
  width: 4,
  batch: 2,
  timesteps: 2,
  neuronStep: [2, 4, 4, 4],
  neuronTimesteps: [2],
  conv: [2, 8, 8, 8],
  matmul: 64,
};

/** The paper's CIFAR-10 search: 40,000 training images, 10,000 validation, 600 epochs, 400 candidates. */
const PAPER_SEARCH = {
  trainImages: 40_000,
  validationImages: 10_000,
  epochs: 600,
  candidates: 400,
  width: 16,
  timesteps: 8,
};

interface SearchThroughput {
  width: number;
  timesteps: number;
  batch: number;
  /** Supernet training, one uniformly drawn path per batch. */
  supernetImagesPerSecond: number;
  /** Scoring one candidate: 4 batch-norm recalibration batches + the validation split, with activity counted. */
  candidateSeconds: number;
  candidatesPerMinute: number;
  /** The paper's full search at this speed: 600 epochs of 40,000 images + 400 candidates of 10,000. */
  projectedFullSearchHours: number;
}

/** One train step taken apart, each phase timed on its own (the GPU drained around each). */
interface StepPhases {
  forward_s: number;
  forward_backward_s: number;
  /** The optimizer's step alone, over the gradients of one backward pass. */
  optimizer_s: number;
}

interface ReferenceStep extends Partial<StepPhases> {
  torch: string;
  device: string;
  precision: string;
  step_s: number;
  peak_bytes: number | null;
  parameters: number;
}

interface TrainStepResult {
  precision: E.Precision;
  seconds: number;
  phases: StepPhases & {
    /** libtorch's own Adam step, one parameter at a time: what ours replaced. */
    optimizer_per_parameter_s: number;
  };
  peakBytes: number;
  reference: ReferenceStep | null;
  referenceUnavailable?: string;
  /** This engine ÷ PyTorch eager (goal ≤ 0.6). */
  ratio: number | null;
}

export interface GpuBenchResult {
  device: string;
  dryRun: boolean;
  libtorch: string;
  sizes: Sizes;
  trainStep: TrainStepResult[];
  neuron: {
    timesteps: number;
    dtype: string;
    fused_ms: number;
    opbyop_ms: number;
    speedup: number;
    /** The bytes the fused passes must move (neuronPassBytes) ÷ the fused time. */
    fused_gb_per_s: number;
  }[];
  /** A device-to-device copy (1 GiB on a GPU): read + write bytes ÷ time. */
  copy: { bytes: number; gb_per_s: number };
  conv: { dtype: string; shape: number[]; forward_tflops: number; forward_backward_tflops: number };
  matmulPeakTflops: number;
  convFractionOfPeak: number;
}

export interface GpuSearchBenchResult extends SearchThroughput {
  device: string;
  dryRun: boolean;
  libtorch: string;
  repeats: number;
}

/** Median seconds per call of `fn`, with the GPU drained before and after each timed loop. */
function deviceSeconds(fn: () => void, warmup: number, iterations: number, repeats: number): number {
  for (let i = 0; i < warmup; i++) fn();
  E.synchronize();
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    E.synchronize();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / iterations);
  }
  samples.sort((a, b) => a - b);
  const mid = Math.floor(samples.length / 2);
  return samples.length % 2 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
}

function trainStep(device: E.Device, precision: E.Precision, sizes: Sizes, repeats: number): TrainStepResult {
  E.manualSeed(0);
  const arch = builtinArchitecture('autosnn', { width: sizes.width, timesteps: sizes.timesteps });
  const network = new Network(compileArchitecture(arch), { device });
  const optimizer = new E.Adam(network.parameters(), { lr: 1e-3 });
  const x = E.keep(E.randn([sizes.batch, 3, 32, 32], { device }));
  const y = E.keep(E.randint(0, 10, [sizes.batch], { device }));
  const forward = () => E.withAutocast(precision, device, () => network.forward(x)).to('float32');
  const forwardBackward = (): void =>
    E.tidy(() => {
      optimizer.zeroGrad();
      rateLoss('mse', forward(), y, arch.timesteps).backward();
    });
  const step = (): void => {
    forwardBackward();
    optimizer.step();
  };
  step();
  E.synchronize();
  E.resetCudaPeak();
  const seconds = deviceSeconds(step, 1, 1, repeats);
  const peakBytes = E.cudaMemory().peakAllocatedBytes;
  const phases = {
    forward_s: deviceSeconds(() => E.tidy(() => void forward()), 1, 1, repeats),
    forward_backward_s: deviceSeconds(forwardBackward, 1, 1, repeats),
    // The gradients of the last backward pass stay in place for these.
    optimizer_s: deviceSeconds(() => optimizer.step(), 1, 1, repeats),
    optimizer_per_parameter_s: deviceSeconds(() => optimizer.stepPerParameter(), 1, 1, repeats),
  };
  optimizer.dispose();
  network.dispose();
  E.dispose([x, y]);
  const { result: reference, why } = runPythonReference<ReferenceStep>('reference_gpu.py', [
    device,
    precision,
    sizes.width,
    sizes.batch,
    repeats,
  ]);
  const result: TrainStepResult = {
    precision,
    seconds,
    phases,
    peakBytes,
    reference,
    ratio: reference ? seconds / reference.step_s : null,
  };
  if (!reference) result.referenceUnavailable = why;
  return result;
}

function neuronComparison(device: E.Device, dtype: E.DType, timesteps: number, sizes: Sizes, repeats: number) {
  E.manualSeed(0);
  const shape = [timesteps, ...sizes.neuronStep];
  const x = E.keep(E.rand(shape, { device }).mul(1.5).to(dtype).setRequiresGrad(true));
  const w = E.keep(E.full([], plifWeightForTau(2), { device }).setRequiresGrad(true));
  const upstream = E.keep(E.randn(shape, { device }).to(dtype));
  const config = neuronConfig({ kind: 'plif' });
  const run = (impl: typeof runNeuron) => () =>
    E.tidy(() => {
      w.zeroGrad();
      x.zeroGrad();
      impl(x, w.sigmoid(), config).spikes.backward(upstream);
    });
  const fused = deviceSeconds(run(runNeuron), 2, 5, repeats) * 1e3;
  const opByOp = deviceSeconds(run(runNeuronOpByOp), 1, 2, repeats) * 1e3;
  E.dispose([x, w, upstream]);
  const bytes = neuronPassBytes(dtype, timesteps, shape.reduce((a, b) => a * b, 1) / timesteps);
  return {
    timesteps,
    dtype,
    fused_ms: fused,
    opbyop_ms: opByOp,
    speedup: opByOp / fused,
    fused_gb_per_s: bytes / (fused / 1e3) / 1e9,
  };
}

/**
 * The bytes one forward + backward of the fused neuron must move at the least, by the
 * kernel's design (native/src/neuron_math.h): forward reads x and writes the spikes and h;
 * backward reads the upstream gradient, x and h once each and writes x's gradient, per element;
 * and per neuron one partial k gradient written and read again by its sum. x, the spikes and
 * the gradients are in the input's dtype, h and the k partials in float32 (float64 for float64).
 */
function neuronPassBytes(dtype: E.DType, timesteps: number, neurons: number): number {
  const io = dtype === 'float64' ? 8 : dtype === 'float32' ? 4 : 2;
  const acc = dtype === 'float64' ? 8 : 4;
  const perElement = io + io + acc + (io + io + acc + io);
  return timesteps * neurons * perElement + 2 * neurons * acc;
}

/** Read + write bandwidth of one large device-to-device copy, the neuron kernel's yardstick. */
function copyBandwidth(device: E.Device, dryRun: boolean, repeats: number) {
  const elements = dryRun ? 1 << 16 : 1 << 28; // 1 GiB of float32 on a GPU
  const source = E.keep(E.zeros([elements], { device }));
  const seconds = deviceSeconds(() => E.tidy(() => void source.clone()), 2, 5, repeats);
  source.dispose();
  return { bytes: 4 * elements, gb_per_s: (2 * 4 * elements) / seconds / 1e9 };
}

function convThroughput(device: E.Device, sizes: Sizes, repeats: number) {
  const dtype: E.DType = device === 'cpu' ? 'float32' : 'bfloat16';
  const [n, c, h, w] = sizes.conv;
  const x = E.keep(E.randn(sizes.conv, { device }).to(dtype).setRequiresGrad(true));
  const weight = E.keep(E.randn([c, c, 3, 3], { device }).mul(0.05).to(dtype).setRequiresGrad(true));
  const flops = 2 * n * c * h * w * c * 9;
  const forward = deviceSeconds(
    () => E.tidy(() => void E.noGrad(() => E.F.conv2d(x, weight, null, { padding: 1 }))),
    3,
    10,
    repeats,
  );
  const both = deviceSeconds(
    () =>
      E.tidy(() => {
        x.zeroGrad();
        weight.zeroGrad();
        E.F.conv2d(x, weight, null, { padding: 1 }).sum().backward();
      }),
    2,
    5,
    repeats,
  );
  E.dispose([x, weight]);
  return {
    dtype,
    shape: sizes.conv,
    forward_tflops: flops / forward / 1e12,
    forward_backward_tflops: (3 * flops) / both / 1e12,
  };
}

function matmulPeak(device: E.Device, sizes: Sizes, repeats: number): number {
  const dtype: E.DType = device === 'cpu' ? 'float32' : 'bfloat16';
  const m = sizes.matmul;
  const a = E.keep(E.randn([m, m], { device }).to(dtype));
  const b = E.keep(E.randn([m, m], { device }).to(dtype));
  const seconds = deviceSeconds(() => E.tidy(() => void E.noGrad(() => E.F.linear(a, b))), 3, 10, repeats);
  E.dispose([a, b]);
  return (2 * m * m * m) / seconds / 1e12;
}

/** Supernet training and candidate scoring at the paper's CIFAR-10 size, on random data of that shape. */
function searchThroughput(device: E.Device, sizes: Sizes, dryRun: boolean, repeats: number): SearchThroughput {
  const width = dryRun ? sizes.width : PAPER_SEARCH.width;
  const timesteps = dryRun ? sizes.timesteps : PAPER_SEARCH.timesteps;
  const batch = sizes.batch;
  const space: SearchSpace = {
    backbone: 'snn1',
    width,
    timesteps,
    input: { shape: [3, 32, 32], encoding: 'direct' },
    classes: 10,
    neuron: neuronOf('plif'),
    pool: 'max',
    ops: SEARCH_OPS,
  };
  E.manualSeed(0);
  const supernet = new Supernet(space, device);
  const optimizer = new E.Adam(supernet.parameters(), { lr: 1e-3 });
  const x = E.keep(E.randn([batch, 3, 32, 32], { device }));
  const y = E.keep(E.randint(0, 10, [batch], { device }));
  const rng = createRng(1);
  const steps = dryRun ? 1 : 10;
  const stepSeconds = deviceSeconds(
    () => void supernet.trainStep(randomGenome(space, rng), x, y, optimizer),
    2,
    steps,
    repeats,
  );
  // Scoring: the paper's 10,000 validation images in batches, plus the recalibration batches.
  const batches = dryRun ? 2 : Math.ceil(PAPER_SEARCH.validationImages / batch) + 4;
  const candidateSeconds = deviceSeconds(
    () => {
      const candidate = supernet.candidate(randomGenome(space, rng), { ownStatistics: true });
      candidate.network.eval();
      const counter = new ActivityCounter(candidate.network);
      for (let b = 0; b < batches; b++) {
        E.tidy(() => E.noGrad(() => void candidate.network.forward(x, { observe: counter.observe }).sum().item()));
      }
      candidate.dispose();
    },
    0,
    1,
    dryRun ? 1 : 3,
  );
  optimizer.dispose();
  supernet.dispose();
  E.dispose([x, y]);
  const imagesPerSecond = batch / stepSeconds;
  const candidatesPerMinute = 60 / candidateSeconds;
  const hours =
    (PAPER_SEARCH.epochs * PAPER_SEARCH.trainImages) / imagesPerSecond / 3600 +
    PAPER_SEARCH.candidates / candidatesPerMinute / 60;
  return {
    width,
    timesteps,
    batch,
    supernetImagesPerSecond: imagesPerSecond,
    candidateSeconds,
    candidatesPerMinute,
    projectedFullSearchHours: hours,
  };
}

export function benchGpu(options: { repeats: number; dryRun?: boolean }): GpuBenchResult | { skipped: string } {
  const dryRun = options.dryRun === true;
  const why = gpuUnavailable(dryRun);
  if (why) {
    process.stdout.write(`\ngpu: skipped: ${why}\n`);
    return { skipped: why };
  }
  const device: E.Device = dryRun ? 'cpu' : 'cuda';
  const sizes = dryRun ? DRY : FULL;
  const repeats = dryRun ? 1 : Math.max(3, Math.min(options.repeats, 7));
  E.setCudnnBenchmark(true);
  const precisions: E.Precision[] = ['fp32', 'bf16'];
  const trainSteps = precisions.map((p) => trainStep(device, p, sizes, repeats));
  const neuronDtypes: E.DType[] = ['float32', 'bfloat16'];
  const neuron = sizes.neuronTimesteps.flatMap((t) =>
    neuronDtypes.map((dtype) => neuronComparison(device, dtype, t, sizes, repeats)),
  );
  const copy = copyBandwidth(device, dryRun, repeats);
  const conv = convThroughput(device, sizes, repeats);
  const peak = matmulPeak(device, sizes, repeats);
  const gpuName = dryRun ? 'cpu (dry run)' : (E.info().devices[0]?.name ?? 'cuda');

  const rows: Row[] = [
    ...trainSteps.flatMap((s) => [
      {
        name: `autosnn train step C=${sizes.width} T=${sizes.timesteps} batch ${sizes.batch}, ${s.precision}`,
        value: s.seconds * 1e3,
        unit: 'ms',
        reference: s.reference ? s.reference.step_s * 1e3 : undefined,
        goal: 'ratio ≤ 0.6',
      },
      ...phaseRows(s),
    ]),
    ...neuron.map((n) => ({
      name: `PLIF fwd+bwd T=${n.timesteps} [${sizes.neuronStep.join('×')}] ${n.dtype}: op by op ÷ fused`,
      value: n.speedup,
      unit: '×',
      goal: '',
    })),
    ...neuron.map((n) => ({
      name: `  same, fused: bytes it must move ÷ time (T=${n.timesteps}, ${n.dtype})`,
      value: n.fused_gb_per_s,
      unit: 'GB/s',
    })),
    { name: `device copy of ${copy.bytes / 2 ** 20} MiB (read + write)`, value: copy.gb_per_s, unit: 'GB/s' },
    { name: `conv 3×3 [${sizes.conv.join('×')}] ${conv.dtype} forward`, value: conv.forward_tflops, unit: 'TFLOP/s' },
    { name: 'same, forward + backward', value: conv.forward_backward_tflops, unit: 'TFLOP/s' },
    { name: `matrix product ${sizes.matmul}³ (measured peak)`, value: peak, unit: 'TFLOP/s' },
    { name: 'conv fwd+bwd ÷ peak', value: conv.forward_backward_tflops / peak, unit: '', goal: '' },
  ];
  printTable(`gpu (${gpuName}; libtorch ${E.info().libtorch}; median of ${repeats})`, rows);
  for (const s of trainSteps)
    if (!s.reference) process.stdout.write(`PyTorch reference (${s.precision}) not run: ${s.referenceUnavailable}\n`);
  return {
    device: gpuName,
    dryRun,
    libtorch: E.info().libtorch,
    sizes,
    trainStep: trainSteps,
    neuron,
    copy,
    conv,
    matmulPeakTflops: peak,
    convFractionOfPeak: conv.forward_backward_tflops / peak,
  };
}

/** The train step's phases, ours against PyTorch's where its reference measured them. */
function phaseRows(s: TrainStepResult): Row[] {
  const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1e3);
  return [
    { name: '  forward', value: s.phases.forward_s * 1e3, unit: 'ms', reference: ms(s.reference?.forward_s) },
    {
      name: '  forward + backward',
      value: s.phases.forward_backward_s * 1e3,
      unit: 'ms',
      reference: ms(s.reference?.forward_backward_s),
    },
    {
      name: '  Adam step, multi-tensor (PyTorch: its default, foreach)',
      value: s.phases.optimizer_s * 1e3,
      unit: 'ms',
      reference: ms(s.reference?.optimizer_s),
    },
    {
      name: "  Adam step, libtorch's per-parameter",
      value: s.phases.optimizer_per_parameter_s * 1e3,
      unit: 'ms',
      reference: ms(s.reference?.optimizer_s),
    },
  ];
}

/** Why the GPU groups cannot run here, or null when they can. */
function gpuUnavailable(dryRun: boolean): string | null {
  if (dryRun || E.cudaAvailable()) return null;
  return E.info().cudaBuild
    ? 'no CUDA device visible'
    : 'the engine was built against a CPU libtorch (see README: running on a GPU)';
}

/** The group `gpu-search`: what one supernet epoch and one candidate cost on this GPU. */
export function benchGpuSearch(options: {
  repeats: number;
  dryRun?: boolean;
}): GpuSearchBenchResult | { skipped: string } {
  const dryRun = options.dryRun === true;
  const why = gpuUnavailable(dryRun);
  if (why) {
    process.stdout.write(`\ngpu-search: skipped: ${why}\n`);
    return { skipped: why };
  }
  const device: E.Device = dryRun ? 'cpu' : 'cuda';
  const repeats = dryRun ? 1 : Math.max(3, Math.min(options.repeats, 7));
  E.setCudnnBenchmark(true);
  const search = searchThroughput(device, dryRun ? DRY : FULL, dryRun, repeats);
  const gpuName = dryRun ? 'cpu (dry run)' : (E.info().devices[0]?.name ?? 'cuda');
  const rows: Row[] = [
    {
      name: `supernet training C=${search.width} T=${search.timesteps} batch ${search.batch}`,
      value: search.supernetImagesPerSecond,
      unit: 'images/s',
    },
    { name: 'candidate scoring (10,000 validation images)', value: search.candidatesPerMinute, unit: 'candidates/min' },
    { name: "the paper's full search (600 epochs, 400 candidates)", value: search.projectedFullSearchHours, unit: 'h' },
  ];
  printTable(`gpu-search (${gpuName}; libtorch ${E.info().libtorch}; median of ${repeats})`, rows);
  return { device: gpuName, dryRun, libtorch: E.info().libtorch, repeats, ...search };
}
