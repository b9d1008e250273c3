/**
 * Engine benchmarks (issue: foundation): per-op overhead of a 4-element add, a 3×3 conv
 * forward+backward on [64, 64, 32, 32], and a small conv-BN-ReLU training step — each against
 * PyTorch running the identical computation in Python on the same libtorch, same threads.
 */
import * as E from '../src/engine/index.js';
import { runPythonReference } from './python-reference.js';
import { medianSeconds, printTable, type Row } from './timing.js';

interface Reference {
  torch: string;
  threads: number;
  add4_us: number;
  conv_fwd_bwd_ms: number;
  net_step_ms: number;
}

function perOpOverhead(repeats: number): number {
  const a = E.keep(E.tensor([1, 2, 3, 4]));
  const b = E.keep(E.tensor([1, 2, 3, 4]));
  const seconds = medianSeconds(() => a.add(b).dispose(), 1000, 100_000, repeats);
  a.dispose();
  b.dispose();
  return seconds * 1e6;
}

function convForwardBackward(repeats: number): number {
  E.manualSeed(0);
  const x = E.keep(E.randn([64, 64, 32, 32]).setRequiresGrad(true));
  const w = E.keep(E.randn([64, 64, 3, 3]).setRequiresGrad(true));
  const seconds = medianSeconds(
    () =>
      E.tidy(() => {
        x.zeroGrad();
        w.zeroGrad();
        E.F.conv2d(x, w, null, { padding: 1 }).sum().backward();
      }),
    3,
    5,
    repeats,
  );
  x.dispose();
  w.dispose();
  return seconds * 1e3;
}

function networkStep(repeats: number): number {
  E.manualSeed(0);
  const { nn, F } = E;
  const net = new nn.Sequential(
    new nn.Conv2d(3, 32, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(32),
    (t) => t.relu(),
    new nn.Conv2d(32, 64, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(64),
    (t) => t.relu(),
    (t) => F.maxPool2d(t, 2),
    new nn.Conv2d(64, 64, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(64),
    (t) => t.relu(),
    (t) => F.adaptiveAvgPool2d(t, 1),
    (t) => t.flatten(1),
    new nn.Linear(64, 10),
  );
  const optimizer = new E.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = E.keep(E.randn([32, 3, 32, 32]));
  const y = E.keep(E.randint(0, 10, [32]));
  const seconds = medianSeconds(
    () =>
      E.tidy(() => {
        optimizer.zeroGrad();
        F.crossEntropy(net.forward(x), y).backward();
        optimizer.step();
      }),
    3,
    10,
    repeats,
  );
  optimizer.dispose();
  net.dispose();
  x.dispose();
  y.dispose();
  return seconds * 1e3;
}

export interface EngineBenchResult {
  machine: { threads: number; libtorch: string };
  add4_us: number;
  conv_fwd_bwd_ms: number;
  net_step_ms: number;
  reference: Reference | null;
  referenceUnavailable?: string;
  ratios: { add4: number | null; conv_fwd_bwd: number | null; net_step: number | null };
}

export function benchEngine(options: { repeats: number }): EngineBenchResult {
  const threads = E.threads();
  // The reference runs first, then this engine: neither warms caches for the other.
  const { result: reference, why } = runPythonReference<Reference>('reference_engine.py', [threads, options.repeats]);
  const add4 = perOpOverhead(options.repeats);
  const conv = convForwardBackward(options.repeats);
  const net = networkStep(options.repeats);
  const ratio = (ours: number, theirs: number | undefined) => (theirs === undefined ? null : ours / theirs);
  const result: EngineBenchResult = {
    machine: { threads, libtorch: E.info().libtorch },
    add4_us: add4,
    conv_fwd_bwd_ms: conv,
    net_step_ms: net,
    reference,
    ratios: {
      add4: ratio(add4, reference?.add4_us),
      conv_fwd_bwd: ratio(conv, reference?.conv_fwd_bwd_ms),
      net_step: ratio(net, reference?.net_step_ms),
    },
  };
  if (!reference) result.referenceUnavailable = why;
  const rows: Row[] = [
    { name: 'add, 4 elements (per call)', value: add4, unit: 'µs', reference: reference?.add4_us, goal: '≤ 2.5 µs' },
    {
      name: 'conv 3×3 64→64 [64,64,32,32] fwd+bwd',
      value: conv,
      unit: 'ms',
      reference: reference?.conv_fwd_bwd_ms,
      goal: 'ratio ≤ 1.05',
    },
    {
      name: 'conv-BN-ReLU net, SGD step (batch 32)',
      value: net,
      unit: 'ms',
      reference: reference?.net_step_ms,
      goal: 'ratio ≤ 1.05',
    },
  ];
  printTable(`engine (libtorch ${result.machine.libtorch}, ${threads} threads; median of ${options.repeats})`, rows);
  if (!reference) process.stdout.write(`PyTorch reference not run: ${why}\n`);
  return result;
}
