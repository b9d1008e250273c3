/**
 * The chip targets by CLI name. Each module holds one chip's figures with their sources, its
 * limits and fit check (specs/energy.md, specs/formats.md); energy.ts turns activity into joules.
 */
import { akida } from './akida.js';
import { cmos45 } from './cmos45.js';
import { cortexM } from './cortex-m.js';
import { loihi } from './loihi.js';
import { loihiSilicon } from './loihi-silicon.js';
import { loihi2 } from './loihi2.js';
import { speck } from './speck.js';
import { spinnaker } from './spinnaker.js';
import { spinnaker2 } from './spinnaker2.js';
import { truenorth } from './truenorth.js';
import { xyloAudio2, xyloAudio3, xyloImu } from './xylo.js';
import type { Target } from './types.js';
import type { FitIssue, FitReport } from './types.js';

const ALL: Target[] = [
  cmos45,
  loihi,
  loihiSilicon,
  loihi2,
  truenorth,
  spinnaker,
  spinnaker2,
  speck,
  xyloAudio2,
  xyloAudio3,
  xyloImu,
  akida,
  cortexM,
];

export const TARGETS: Readonly<Record<string, Target>> = Object.freeze(Object.fromEntries(ALL.map((t) => [t.name, t])));

export const TARGET_NAMES: readonly string[] = Object.freeze(ALL.map((t) => t.name));

export function getTarget(name: string): Target {
  const target = TARGETS[name];
  if (!target) throw new Error(`unknown target '${name}' (known targets: ${TARGET_NAMES.join(', ')})`);
  return target;
}

export { annEquivalentEnergy } from './cmos45.js';
export { energyPerInference, memoryAware } from './energy.js';

/**
 * The issues of a fit report that the target's own rewrites (applied at export) do not remove:
 * what really stops a model from mapping onto the chip.
 */
export function blockingIssues(report: FitReport, target: Target): FitIssue[] {
  return report.issues.filter((issue) => !issue.fixedBy || !target.rewrites.includes(issue.fixedBy));
}
