/**
 * The registry and the provenance of every figure: all 13 targets by name, an unknown name
 * refused with the list, every constant with a source and a basis, energy models of the kind
 * each chip's publications allow, rewrites that match the quantisation rules.
 */
import test from 'ava';
import { getTarget, TARGET_NAMES, TARGETS } from '../../targets/index.js';
import type { Basis, Constant, Target } from '../../targets/types.js';

const BASES: readonly Basis[] = [
  'circuit estimate',
  'pre-silicon simulation',
  'regression on silicon',
  'whole-chip average',
  'datasheet',
  'vendor tool model',
  'measured',
  'calibrated',
  'derived',
];

const NAMES = [
  'cmos45',
  'loihi',
  'loihi-silicon',
  'loihi2',
  'truenorth',
  'spinnaker',
  'spinnaker2',
  'speck',
  'xylo-audio2',
  'xylo-audio3',
  'xylo-imu',
  'akida',
  'cortex-m',
];

function constantsOf(target: Target): Array<[string, Constant]> {
  const list: Array<[string, Constant]> = [];
  const e = target.energy;
  if (e.kind === 'per-operation') {
    for (const [op, c] of Object.entries(e.perOp)) if (c) list.push([`energy.${op}`, c]);
    if (e.staticPower) list.push(['staticPower', e.staticPower]);
  } else if (e.kind === 'cycle-model') {
    for (const [op, c] of Object.entries(e.cyclesPerOp)) if (c) list.push([`cycles.${op}`, c]);
    list.push(['clock', e.clock]);
    if (e.energyPerCycle) list.push(['energyPerCycle', e.energyPerCycle]);
    if (e.staticPower) list.push(['staticPower', e.staticPower]);
  }
  target.facts.forEach((c, i) => list.push([`facts[${i}]`, c]));
  for (const [key, c] of Object.entries(target.limits)) list.push([`limits.${key}`, c]);
  return list;
}

test('the registry lists all 13 targets, each under its own name', (t) => {
  t.deepEqual([...TARGET_NAMES], NAMES);
  t.deepEqual(Object.keys(TARGETS), NAMES);
  for (const name of NAMES) {
    t.is(getTarget(name).name, name);
    t.true(getTarget(name).title.length > 0);
  }
});

test('an unknown target is refused with the known names', (t) => {
  const error = t.throws(() => getTarget('loihi3'));
  t.regex(error!.message, /unknown target 'loihi3'/);
  for (const name of NAMES) t.true(error!.message.includes(name), name);
});

test('every constant of every target has a value, a unit, a non-empty source and a basis', (t) => {
  let count = 0;
  for (const target of Object.values(TARGETS)) {
    for (const [where, c] of constantsOf(target)) {
      const at = `${target.name} ${where}`;
      t.true(Number.isFinite(c.value) && c.value >= 0, `${at}: value`);
      t.true(typeof c.unit === 'string' && c.unit.length > 0, `${at}: unit`);
      t.true(c.source.trim().length > 0, `${at}: source`);
      t.true(BASES.includes(c.basis), `${at}: basis ${c.basis}`);
      count++;
    }
  }
  t.true(count > 80, `${count} constants`);
});

test('energy models: published per-op figures, cycle models, and unpublished chips with the why', (t) => {
  const kinds = Object.fromEntries(Object.values(TARGETS).map((x) => [x.name, x.energy.kind]));
  t.deepEqual(kinds, {
    cmos45: 'per-operation',
    loihi: 'per-operation',
    'loihi-silicon': 'per-operation',
    loihi2: 'unpublished',
    truenorth: 'per-operation',
    spinnaker: 'per-operation',
    spinnaker2: 'per-operation',
    speck: 'unpublished',
    'xylo-audio2': 'cycle-model',
    'xylo-audio3': 'cycle-model',
    'xylo-imu': 'cycle-model',
    akida: 'unpublished',
    'cortex-m': 'cycle-model',
  });
  for (const target of Object.values(TARGETS)) {
    const e = target.energy;
    if (e.kind === 'unpublished') t.true(e.why.length > 20, target.name);
    // Xylo publishes no energy per cycle; the firmware's comes from a datasheet.
    if (e.kind === 'cycle-model') t.is(e.energyPerCycle !== undefined, target.name === 'cortex-m', target.name);
  }
  const cortex = getTarget('cortex-m').energy;
  if (cortex.kind !== 'cycle-model') return t.fail();
  for (const c of Object.values(cortex.cyclesPerOp)) {
    // Measured by the bridge (autosnn calibrate --qemu), and said to be instructions, a lower bound.
    t.is(c!.basis, 'measured');
    t.regex(c!.note ?? '', /^measured, QEMU -icount: .*lower bound on cycles/);
  }
  // 3.6 V × 9.6 mA / 32 MHz = 1.08 nJ per cycle
  t.is(cortex.energyPerCycle!.value, 1080);
  t.true(Math.abs((3.6 * 9.6e-3) / 32e6 - cortex.energyPerCycle!.value * 1e-12) < 1e-18);
});

test('the figures specs/energy.md gives, as given', (t) => {
  const perOp = (name: string): Record<string, number> => {
    const e = getTarget(name).energy;
    return e.kind === 'per-operation' ? Object.fromEntries(Object.entries(e.perOp).map(([k, c]) => [k, c!.value])) : {};
  };
  t.deepEqual(perOp('cmos45'), { synopMac: 4.6, synopAc: 0.9 });
  t.deepEqual(perOp('loihi'), { synopAc: 23.6, neuronUpdate: 81, spike: 1.7 });
  t.deepEqual(perOp('loihi-silicon'), { synopAc: 35.5, neuronUpdate: 72.8, spike: 69.3 });
  t.deepEqual(perOp('truenorth'), { synopAc: 26 });
  t.deepEqual(perOp('spinnaker'), { synopAc: 13.3, neuronUpdate: 26, spike: 0.8 });
  t.deepEqual(perOp('spinnaker2'), { synopAc: 450, neuronUpdate: 2.19 });
  // TrueNorth's 1 ms tick, as a rate
  t.is(getTarget('truenorth').limits.timestepRate!.value, 0.001);
});

test('rewrites are known passes, and only targets with quantisation rules ask for quantize', (t) => {
  for (const target of Object.values(TARGETS)) {
    for (const r of target.rewrites)
      t.true(['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'].includes(r), target.name);
    t.is(target.rewrites.includes('quantize'), target.quantization !== null, target.name);
    t.is(new Set(target.rewrites).size, target.rewrites.length, `${target.name}: each rewrite once`);
  }
});
