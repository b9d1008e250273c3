/**
 * The project's reference firmware on a Cortex-M3 (the bridge's emulated MPS2 AN385 is one; a
 * real board is needed for energy). A cycle model: each operation's cycles were measured by the
 * bridge (`autosnn calibrate --qemu`): the firmware's probe runs under QEMU -icount, the
 * instructions each executed counted exactly, and the fitter's cycles per operation read off the
 * fit (relative residual 1.1 % over the 12 probes; each probe predicted within 3.5 % by the fit
 * made without it; docs/bridge.md). QEMU counts instructions, not cycles: a Cortex-M3 takes one
 * cycle for most and two or more for loads, stores, multiplies and taken branches (the TRM's
 * timings), so on silicon these counts are lower bounds, by up to ~1.5× on load-heavy loops.
 * The energy per cycle is a vendor datasheet's run current at its stated supply and clock: ST's
 * STM32L100 (a Cortex-M3 value line), 9.6 mA typical at 32 MHz and VDD 3.6 V running
 * Dhrystone-like code from Flash, i.e. 3.6 V × 9.6 mA / 32 MHz = 1.08 nJ per cycle. That is the
 * whole chip running, so there is no separate static term.
 *
 * The fit check is the firmware's RAM, the weights and state it holds against the board's
 * SRAM (the 32L100CDISCOVERY's STM32L100RCT6, 16 KB), and what the integer form
 * (src/ir/passes/quantize-model.ts) refuses.
 */
import type { Model } from '../src/ir/model.js';
import { FIRMWARE_RULES } from '../src/ir/passes/quantize.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import { elementCount } from '../src/ir/shapes.js';
import {
  batchnormIssues,
  constant,
  GraphView,
  maxpoolIssues,
  neuronCount,
  neuronModelIssues,
  quantizationIssues,
  weightCount,
} from './common.js';
import { storageBits } from './energy.js';
import type { Constant, FitIssue, FitReport, Target } from './types.js';

const MEASURED =
  'the bridge: autosnn calibrate --qemu on the reference firmware (firmware-bridge/, Cortex-M3 build, arm-none-eabi-gcc -O2) ' +
  'under QEMU 7.2 mps2-an385 with -icount shift=0, 12 probe models, NNLS fit; 2026-11-27';
const PER_INSTRUCTION =
  'instructions executed per operation, loop control and address arithmetic included; on silicon a Cortex-M3 ' +
  'takes ≥ 1 cycle per instruction (ARM DDI 0337I ch. 3), so a lower bound on cycles';

const DATASHEET =
  'ST STM32L100C6/R8/RB datasheet (DocID024295 Rev 1), §6.3.4 Table 15: IDD (Run from Flash), Range 1 (VCORE 1.8 V), ' +
  'fHCLK = 32 MHz from HSE with PLL, typ 9.6 mA; conditions: VDD = 3.6 V, all peripherals disabled, Dhrystone 2.1-equivalent code';

const cycles = (value: number, note: string): Constant =>
  constant(value, 'cycles', MEASURED, 'measured', `measured, QEMU -icount: ${note}; ${PER_INSTRUCTION}`);

const LIMITS = {
  sram: constant(
    16,
    'KiB',
    'ST 32L100CDISCOVERY product page: STM32L100RCT6 with 256 KB Flash and 16 KB RAM',
    'datasheet',
    'code, stack and I/O buffers also live here: the check is optimistic',
  ),
};

function fit(model: Model, weights: ReadonlyMap<string, TensorRecord> | undefined): FitReport {
  const view = new GraphView(model);
  const chip = 'the reference firmware';
  const issues: FitIssue[] = [
    ...batchnormIssues(view, chip),
    ...maxpoolIssues(view, chip),
    ...neuronModelIssues(
      view,
      ['if', 'lif', 'plif'],
      chip,
      'an integrate-and-fire or LIF neuron with one leak (the integer form has no current-based LIF)',
    ),
    ...quantizationIssues(view, weights, FIRMWARE_RULES, chip),
  ];
  for (const node of model.nodes) {
    if (node.op === 'avgpool' && !Number.isInteger(Math.log2(node.kernel[0] * node.kernel[1]))) {
      issues.push({
        node: node.name,
        constraint: `${chip} average pooling`,
        needs: 'a window whose area is a power of two (the integer form divides by a shift)',
        has: `a ${node.kernel[0]}×${node.kernel[1]} window`,
      });
    }
  }
  // Bytes the firmware keeps: int8 weights, int32 biases (a folded batch norm brings one), int32
  // state per neuron (2 for current-based neurons), one bit per neuron for spikes, an 8-bit input frame.
  const bits = storageBits(FIRMWARE_RULES);
  const bias = FIRMWARE_RULES.biasBits / 8;
  const state = FIRMWARE_RULES.stateBits / 8;
  let weightBytes = 0;
  for (const layer of view.synapticLayers()) {
    weightBytes += (weightCount(layer) * bits.weight) / 8;
    if (layer.bias || view.readersOf(layer.name).some((r) => r.op === 'batchnorm'))
      weightBytes += layer.shape[0]! * bias;
  }
  let stateBytes = 0;
  let spikeBytes = 0;
  for (const neuron of view.neurons()) {
    stateBytes += neuronCount(neuron) * state * (neuron.model === 'cuba-lif' ? 2 : 1);
    spikeBytes += Math.ceil(neuronCount(neuron) / 8);
  }
  const inputBytes = (elementCount(model.input.shape) * FIRMWARE_RULES.inputBits) / 8;
  const total = weightBytes + stateBytes + spikeBytes + inputBytes;
  const sram = LIMITS.sram.value * 1024;
  if (total > sram) {
    issues.push({
      node: '',
      constraint: `${chip} RAM`,
      needs: `${total} bytes (weights and biases ${weightBytes}, state ${stateBytes}, spikes ${spikeBytes}, input ${inputBytes})`,
      has: `${sram} bytes of SRAM (STM32L100RCT6)`,
    });
  }
  return {
    target: 'cortex-m',
    fits: issues.length === 0,
    issues,
    mapping: { bytes: total, weightBytes, stateBytes, spikeBytes, inputBytes, sramBytes: sram },
  };
}

export const cortexM: Target = {
  name: 'cortex-m',
  title: 'Reference firmware on a Cortex-M3 (STM32L100)',
  energy: {
    kind: 'cycle-model',
    cyclesPerOp: {
      synopAc: cycles(12.5, 'an accumulate through a transposed kernel or a fan-out list (95% CI 12.1–12.9)'),
      synopMac: cycles(12.3, 'a multiply-accumulate on a direct frame, same loop (95% CI 11.9–12.7)'),
      neuronUpdate: cycles(
        49.0,
        'charge, leak, fire and reset one neuron, and the next layer’s scan of its output (95% CI 47.8–50.2)',
      ),
      spike: cycles(30.9, 'finding a spike’s fan-out: its list or its kernel taps (95% CI 28.1–33.6)'),
    },
    clock: constant(32, 'MHz', DATASHEET, 'datasheet', 'the clock the run current is given at'),
    energyPerCycle: constant(1080, 'pJ/cycle', DATASHEET, 'datasheet', '3.6 V × 9.6 mA / 32 MHz'),
  },
  facts: [],
  limits: LIMITS,
  quantization: FIRMWARE_RULES,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'],
  fit,
};
