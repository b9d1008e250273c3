/**
 * Spiking-network benchmarks (issue: spiking networks): the fused multi-step PLIF forward +
 * backward against the same neuron op by op (src/snn/neuron-opbyop.ts), on [8, 64, 32768].
 */
import * as E from '../src/engine/index.js';
import { neuronConfig, runNeuron, plifWeightForTau } from '../src/snn/neuron.js';
import { runNeuronOpByOp } from '../src/snn/neuron-opbyop.js';
import { medianSeconds, printTable, type Row } from './timing.js';

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
  const rows: Row[] = [
    { name: `PLIF fwd+bwd [${SHAPE.join(', ')}], fused`, value: fused, unit: 'ms', goal: '' },
    { name: 'same, op by op', value: opByOp, unit: 'ms', goal: '' },
    { name: 'speed-up, op by op ÷ fused', value: opByOp / fused, unit: '×', goal: '≥ 3×' },
  ];
  printTable(`snn (${E.threads()} threads; median of ${repeats})`, rows);
  return { shape: SHAPE, threads: E.threads(), fused_ms: fused, opbyop_ms: opByOp, speedup: opByOp / fused };
}
