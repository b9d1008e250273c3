/**
 * Spiking-network benchmarks (issue: spiking networks): the fused multi-step PLIF forward +
 * backward against the same neuron op by op (src/snn/neuron-opbyop.ts), on [8, 64, 32768].
 */
import * as E from '../src/engine/index.js';
import { neuronConfig, runNeuron, plifWeightForTau } from '../src/snn/neuron.js';
import { runNeuronOpByOp } from '../src/snn/neuron-opbyop.js';
import { runPythonReference } from './python-reference.js';
import { medianSeconds, printTable, type Row } from './timing.js';
import { builtinArchitecture } from '../src/snn/architecture.js';
import { compileArchitecture } from '../src/ir/compile.js';
import { Network } from '../src/snn/network.js';
import { rateLoss } from '../src/snn/loss.js';

const SHAPE = [8, 64, 32768];

function plifStep(impl: typeof runNeuron, x: E.Tensor, w: E.Tensor, upstream: E.Tensor): void {
  E.tidy(() => {
    w.zeroGrad();
    x.zeroGrad();
    const config = neuronConfig({ kind: 'plif' });
    const { spikes } = impl(x, w.sigmoid(), config);
    spikes.backward(upstream);
  });
}

export interface SnnBenchResult {
  shape: number[];
  threads: number;
  fused_ms: number;
  opbyop_ms: number;
  speedup: number;
  /** One AutoSNN training step (C = 16, T = 8, batch 96, 3×32×32), seconds. */
  autosnn_step_s: number;
  autosnn_parameters: number;
  reference: { torch: string; step_s: number; parameters: number } | null;
  referenceUnavailable?: string;
  /** This engine ÷ PyTorch eager. */
  autosnn_ratio: number | null;
}

/** One training step of the paper's network: forward, MSE on rates, backward, Adam. */
function autosnnStep(repeats: number): { seconds: number; parameters: number } {
  E.manualSeed(0);
  const arch = builtinArchitecture('autosnn', { width: 16, timesteps: 8 });
  const network = new Network(compileArchitecture(arch));
  const optimizer = new E.Adam(network.parameters(), { lr: 1e-3 });
  const x = E.keep(E.randn([96, 3, 32, 32]));
  const y = E.keep(E.randint(0, 10, [96]));
  const seconds = medianSeconds(
    () =>
      E.tidy(() => {
        optimizer.zeroGrad();
        rateLoss('mse', network.forward(x), y, arch.timesteps).backward();
        optimizer.step();
      }),
    1,
    1,
    repeats,
  );
  const parameters = network.parameterCount();
  optimizer.dispose();
  network.dispose();
  E.dispose([x, y]);
  return { seconds, parameters };
}

export function benchSnn(options: { repeats: number }): SnnBenchResult {
  E.manualSeed(0);
  const x = E.keep(E.rand(SHAPE).mul(1.5).setRequiresGrad(true));
  const w = E.keep(E.full([], plifWeightForTau(2)).setRequiresGrad(true));
  const upstream = E.keep(E.randn(SHAPE));
  const repeats = Math.max(3, Math.min(options.repeats, 7));
  const fused = medianSeconds(() => plifStep(runNeuron, x, w, upstream), 2, 3, repeats) * 1e3;
  const opByOp = medianSeconds(() => plifStep(runNeuronOpByOp, x, w, upstream), 1, 2, repeats) * 1e3;
  E.dispose([x, w, upstream]);
  const stepRepeats = Math.max(2, Math.min(options.repeats, 5));
  const { result: reference, why } = runPythonReference<NonNullable<SnnBenchResult['reference']>>('reference_snn.py', [
    E.threads(),
    stepRepeats,
  ]);
  const step = autosnnStep(stepRepeats);
  const rows: Row[] = [
    { name: `PLIF fwd+bwd [${SHAPE.join(', ')}], fused`, value: fused, unit: 'ms', goal: '' },
    { name: 'same, op by op', value: opByOp, unit: 'ms', goal: '' },
    { name: 'speed-up, op by op ÷ fused', value: opByOp / fused, unit: '×', goal: '≥ 3×' },
    {
      name: 'AutoSNN train step (C=16, T=8, batch 96)',
      value: step.seconds,
      unit: 's',
      reference: reference?.step_s,
      goal: 'ratio ≤ 0.85',
    },
  ];
  printTable(`snn (${E.threads()} threads; median of ${repeats}, train step median of ${stepRepeats})`, rows);
  if (!reference) process.stdout.write(`PyTorch reference not run: ${why}\n`);
  const result: SnnBenchResult = {
    shape: SHAPE,
    threads: E.threads(),
    fused_ms: fused,
    opbyop_ms: opByOp,
    speedup: opByOp / fused,
    autosnn_step_s: step.seconds,
    autosnn_parameters: step.parameters,
    reference,
    autosnn_ratio: reference ? step.seconds / reference.step_s : null,
  };
  if (!reference) result.referenceUnavailable = why;
  return result;
}
