/**
 * Runs a netx network the way Lava runs it on Loihi, in its own integer arithmetic (Lava's
 * PyLifModelBitAcc and the fixed-point Conv/Dense models, which netx instantiates):
 *
 *   a   = Σ w·s                              conv: saturated to 24 bits signed
 *   u   ← trunc(u·(4096 − iDecay)/4096) + (a ≪ 6)       wrapped once into 24 bits, as Lava does
 *   v   ← trunc(v·(4096 − vDecay)/4096) + u + (bias ≪ 6)  saturated to ±(2^23 − 1)
 *   s   = v > (vThMant ≪ 6);  v ← 0 where s
 *
 * Lava delays every synapse layer by one step; in a feed-forward chain whose layers are reset
 * as the sample reaches them (netx's reset_interval / reset_offset) that is a pure time shift,
 * so here every layer reads the layer before it at the same step. Also the float side of the
 * quantisation report: the plan's layers run in float64 with the same structure.
 */
import { elementCount, windowOutput } from '../../src/ir/shapes.js';
import type { NetxNetwork, NetxLayer } from './reader.js';
import { DECAY_UNITY, STATE_SHIFT, type NetxPlan, type PlanSynapseLayer } from './plan.js';

const STATE_LIMIT = 2 ** 23;

interface Geometry {
  inShape: number[];
  outShape: number[];
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** out += W ∗ x (cross-correlation, PyTorch's weight layout); zero inputs are skipped, spikes being sparse. */
function convAccumulate(out: Float64Array, x: ArrayLike<number>, weight: ArrayLike<number>, g: Geometry): void {
  const [cin, h, w] = g.inShape as [number, number, number];
  const [cout, oh, ow] = g.outShape as [number, number, number];
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  const inPerGroup = cin / g.groups;
  const outPerGroup = cout / g.groups;
  for (let c = 0; c < cin; c++) {
    const group = Math.floor(c / inPerGroup);
    const ci = c - group * inPerGroup;
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        const value = x[(c * h + iy) * w + ix]!;
        if (value === 0) continue;
        for (let ky = 0; ky < kh; ky++) {
          const ny = iy + ph - ky * dh;
          if (ny < 0 || ny % sh !== 0) continue;
          const oy = ny / sh;
          if (oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const nx = ix + pw - kx * dw;
            if (nx < 0 || nx % sw !== 0) continue;
            const ox = nx / sw;
            if (ox >= ow) continue;
            for (let o = group * outPerGroup; o < (group + 1) * outPerGroup; o++) {
              out[(o * oh + oy) * ow + ox]! += weight[((o * inPerGroup + ci) * kh + ky) * kw + kx]! * value;
            }
          }
        }
      }
    }
  }
}

/** out += W·x for W [out, in]. */
function denseAccumulate(out: Float64Array, x: ArrayLike<number>, weight: ArrayLike<number>): void {
  const inputs = x.length;
  for (let i = 0; i < inputs; i++) {
    const value = x[i]!;
    if (value === 0) continue;
    for (let o = 0; o < out.length; o++) out[o]! += weight[o * inputs + i]! * value;
  }
}

export class NetxSimulationError extends Error {
  override readonly name = 'NetxSimulationError';
}

interface IntLayer {
  index: number;
  kind: 'conv' | 'dense' | 'flatten';
  shape: number[];
  geometry?: Geometry;
  weight: Float64Array;
  /** Per neuron (already broadcast), in bias_mant units. */
  bias: Float64Array | null;
  iDecay: number;
  vDecay: number;
  vThMant: number;
}

export interface NetxSimulation {
  /** Each neuron layer's spikes (by its /layer index), one array per step; with `trace`, u and v after each step. */
  layers: Array<{ index: number; spikes: Uint8Array[]; u?: Float64Array[]; v?: Float64Array[] }>;
  /** Times a current wrapped, a voltage saturated, or a conv's 24-bit output saturated. */
  saturation: { currentWraps: number; voltageClips: number; synapseClamps: number };
}

function pairOf(values: number[] | undefined, fallback: number, what: string, index: number): [number, number] {
  if (values === undefined) return [fallback, fallback];
  if (values.length === 1) return [values[0]!, values[0]!];
  if (values.length === 2) return [values[0]!, values[1]!];
  throw new NetxSimulationError(`layer ${index}: ${what} has ${values.length} values (expected 1 or 2)`);
}

/** A netx network compiled once for many samples. */
export class NetxSimulator {
  readonly inputShape: number[];
  private readonly layers: IntLayer[] = [];

  constructor(net: NetxNetwork, options: { inputShape?: number[] } = {}) {
    let layers = net.layers;
    let shape: number[] | undefined = options.inputShape;
    if (layers[0]?.type === 'input') {
      if (layers[0].neuron) {
        throw new NetxSimulationError(
          'layer 0: an input layer with neurons takes its frame through the neuron bias, which the host sets; not simulated',
        );
      }
      shape ??= layers[0].shape;
      layers = layers.slice(1);
    }
    if (!shape) {
      const first = layers[0];
      if (first?.type === 'dense' && first.inFeatures) shape = [first.inFeatures];
      else throw new NetxSimulationError('the input shape is not in the file: pass inputShape');
    }
    this.inputShape = shape;
    for (const layer of layers) {
      const built = this.compile(layer, shape);
      this.layers.push(built);
      shape = built.shape;
    }
    if (!this.layers.some((l) => l.kind !== 'flatten')) throw new NetxSimulationError('no conv or dense layer to run');
  }

  private compile(layer: NetxLayer, inShape: number[]): IntLayer {
    const at = layer.index;
    const base = { index: at, weight: new Float64Array(0), bias: null, iDecay: 0, vDecay: 0, vThMant: 0 };
    if (layer.type === 'flatten') return { ...base, kind: 'flatten', shape: [elementCount(inShape)] };
    if (layer.type !== 'conv' && layer.type !== 'dense') {
      throw new NetxSimulationError(`layer ${at}: type '${layer.type}' is not simulated (conv, dense, flatten are)`);
    }
    if (layer.delay) throw new NetxSimulationError(`layer ${at}: synaptic delays are not simulated`);
    if (layer.weightImag) throw new NetxSimulationError(`layer ${at}: complex weights are not simulated`);
    const neuron = layer.neuron;
    if (!neuron || (neuron.type !== 'CUBA' && neuron.type !== 'LOIHI')) {
      throw new NetxSimulationError(
        `layer ${at}: neuron '${neuron?.type ?? 'none'}' is not simulated (CUBA, LOIHI are)`,
      );
    }
    if (!layer.weight) throw new NetxSimulationError(`layer ${at}: no weight`);
    const weight = Float64Array.from(layer.weight.values);
    let shape: number[];
    let geometry: Geometry | undefined;
    if (layer.type === 'conv') {
      if (inShape.length !== 3) throw new NetxSimulationError(`layer ${at}: conv after an input of shape [${inShape}]`);
      const [cout, cinPerGroup, kh, kw] = layer.weight.shape as [number, number, number, number];
      const kernel: [number, number] = [kh, kw];
      const stride = pairOf(layer.stride, 1, 'stride', at);
      const padding = pairOf(layer.padding, 0, 'padding', at);
      const dilation = pairOf(layer.dilation, 1, 'dilation', at);
      const groups = layer.groups ?? 1;
      if (cinPerGroup * groups !== inShape[0]) {
        throw new NetxSimulationError(
          `layer ${at}: weight takes ${cinPerGroup}×${groups} channels, input has ${inShape[0]}`,
        );
      }
      shape = [
        cout,
        windowOutput(inShape[1]!, kh, stride[0], padding[0], dilation[0]),
        windowOutput(inShape[2]!, kw, stride[1], padding[1], dilation[1]),
      ];
      geometry = { inShape, outShape: shape, kernel, stride, padding, dilation, groups };
    } else {
      const [out, inputs] = layer.weight.shape.length === 2 ? layer.weight.shape : [layer.shape[0]!, NaN];
      if (inputs !== elementCount(inShape)) {
        throw new NetxSimulationError(
          `layer ${at}: dense weight [${layer.weight.shape}] after an input of [${inShape}]`,
        );
      }
      shape = [out!];
    }
    if (layer.shape.length > 0 && elementCount(layer.shape) !== elementCount(shape)) {
      throw new NetxSimulationError(`layer ${at}: shape [${layer.shape}] but the synapse gives [${shape}]`);
    }
    let bias: Float64Array | null = null;
    if (layer.bias) {
      const b = layer.bias.values;
      const n = elementCount(shape);
      if (b.length === n) bias = Float64Array.from(b);
      else if (b.length === shape[0])
        bias = Float64Array.from({ length: n }, (_, i) => b[Math.floor(i / (n / b.length))]!);
      else throw new NetxSimulationError(`layer ${at}: bias of ${b.length} values for neurons [${shape}]`);
    }
    return {
      index: at,
      kind: layer.type,
      shape,
      ...(geometry ? { geometry } : {}),
      weight,
      bias,
      iDecay: neuron.iDecay ?? DECAY_UNITY,
      vDecay: neuron.vDecay ?? 0,
      vThMant: neuron.vThMant ?? 0,
    };
  }

  /**
   * Runs one sample for `steps` steps: `input` holds integer messages, one frame driving every
   * step, or (perStep) one frame per step.
   */
  run(input: ArrayLike<number>, options: { steps: number; perStep?: boolean; trace?: boolean }): NetxSimulation {
    const frame = elementCount(this.inputShape);
    const expected = options.perStep ? frame * options.steps : frame;
    if (input.length !== expected) {
      throw new RangeError(`netx simulation: input has ${input.length} values (expected ${expected})`);
    }
    const saturation = { currentWraps: 0, voltageClips: 0, synapseClamps: 0 };
    const state = this.layers.map((l) => ({
      u: new Float64Array(l.kind === 'flatten' ? 0 : elementCount(l.shape)),
      v: new Float64Array(l.kind === 'flatten' ? 0 : elementCount(l.shape)),
      spikes: [] as Uint8Array[],
      uTrace: [] as Float64Array[],
      vTrace: [] as Float64Array[],
    }));
    const th = (l: IntLayer) => l.vThMant * 2 ** STATE_SHIFT;
    for (let t = 0; t < options.steps; t++) {
      let x: ArrayLike<number> = options.perStep
        ? Array.prototype.slice.call(input, t * frame, (t + 1) * frame)
        : input;
      this.layers.forEach((layer, li) => {
        if (layer.kind === 'flatten') return;
        const a = new Float64Array(elementCount(layer.shape));
        if (layer.geometry) {
          convAccumulate(a, x, layer.weight, layer.geometry);
          for (let i = 0; i < a.length; i++) {
            if (a[i]! >= STATE_LIMIT || a[i]! < -STATE_LIMIT) {
              a[i] = a[i]! < 0 ? -STATE_LIMIT : STATE_LIMIT - 1;
              saturation.synapseClamps++;
            }
          }
        } else {
          denseAccumulate(a, x, layer.weight);
        }
        const { u, v } = state[li]!;
        const spikes = new Uint8Array(a.length);
        const keepU = DECAY_UNITY - layer.iDecay;
        const keepV = DECAY_UNITY - layer.vDecay;
        const threshold = th(layer);
        for (let i = 0; i < a.length; i++) {
          let ui = Math.trunc((u[i]! * keepU) / DECAY_UNITY) + a[i]! * 2 ** STATE_SHIFT;
          if (ui > STATE_LIMIT) {
            ui -= 2 * STATE_LIMIT;
            saturation.currentWraps++;
          } else if (ui <= -STATE_LIMIT) {
            ui += 2 * STATE_LIMIT;
            saturation.currentWraps++;
          }
          u[i] = ui;
          let vi =
            Math.trunc((v[i]! * keepV) / DECAY_UNITY) + ui + (layer.bias ? layer.bias[i]! * 2 ** STATE_SHIFT : 0);
          if (vi > STATE_LIMIT - 1 || vi < -(STATE_LIMIT - 1)) {
            vi = vi > 0 ? STATE_LIMIT - 1 : -(STATE_LIMIT - 1);
            saturation.voltageClips++;
          }
          if (vi > threshold) {
            spikes[i] = 1;
            vi = 0;
          }
          v[i] = vi;
        }
        state[li]!.spikes.push(spikes);
        if (options.trace) {
          state[li]!.uTrace.push(Float64Array.from(u));
          state[li]!.vTrace.push(Float64Array.from(v));
        }
        x = spikes;
      });
    }
    return {
      layers: this.layers.flatMap((l, li) => {
        if (l.kind === 'flatten') return [];
        const { spikes, uTrace, vTrace } = state[li]!;
        return [options.trace ? { index: l.index, spikes, u: uTrace, v: vTrace } : { index: l.index, spikes }];
      }),
      saturation,
    };
  }
}

/** The float64 model a plan's integers approximate, run with the same layer structure. */
export class PlanFloatSimulator {
  constructor(private readonly plan: NetxPlan) {}

  /** `input` as runReference takes it: one normalised frame (direct) or T frames (events). */
  run(input: ArrayLike<number>): Array<{ neuron: string; spikes: Uint8Array[] }> {
    const plan = this.plan;
    const frame = elementCount(plan.input.shape);
    const events = plan.input.encoding === 'events';
    const synapses = plan.layers.filter((l): l is PlanSynapseLayer => l.type !== 'flatten');
    const state = synapses.map((l) => ({
      u: new Float64Array(elementCount(l.shape)),
      v: new Float64Array(elementCount(l.shape)),
      spikes: [] as Uint8Array[],
    }));
    for (let t = 0; t < plan.timesteps; t++) {
      let x: ArrayLike<number> = events ? Array.prototype.slice.call(input, t * frame, (t + 1) * frame) : input;
      synapses.forEach((layer, li) => {
        const a = new Float64Array(elementCount(layer.shape));
        if (layer.conv) {
          const { kernel, stride, padding, dilation, groups } = layer.conv;
          convAccumulate(a, x, layer.weight, {
            inShape: layer.inShape,
            outShape: layer.shape,
            kernel,
            stride,
            padding,
            dilation,
            groups,
          });
        } else {
          denseAccumulate(a, x, layer.weight);
        }
        const { u, v } = state[li]!;
        const { currentDecay, voltageDecay, threshold, test } = layer.neuron;
        const inner = a.length / voltageDecay.length;
        const perChannelBias = layer.bias ? a.length / layer.bias.length : 0;
        const spikes = new Uint8Array(a.length);
        for (let i = 0; i < a.length; i++) {
          const ui = currentDecay === 1 ? a[i]! : u[i]! * (1 - currentDecay) + a[i]!;
          u[i] = ui;
          const k = voltageDecay[Math.floor(i / inner)]!;
          const vi = v[i]! * (1 - k) + ui + (layer.bias ? layer.bias[Math.floor(i / perChannelBias)]! : 0);
          const fired = test === '>=' ? vi >= threshold : vi > threshold;
          spikes[i] = fired ? 1 : 0;
          v[i] = fired ? 0 : vi;
        }
        state[li]!.spikes.push(spikes);
        x = spikes;
      });
    }
    return synapses.map((l, li) => ({ neuron: l.neuron.node, spikes: state[li]!.spikes }));
  }
}

/** A direct frame as netx messages: x_q = round(x·2^shift), half away from zero. */
export function quantizeFrame(frame: ArrayLike<number>, shift: number): Float64Array {
  const scale = 2 ** shift;
  return Float64Array.from(frame, (x) => (x < 0 ? -Math.round(-x * scale) : Math.round(x * scale)));
}
