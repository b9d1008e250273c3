/**
 * Calibration profiles (docs/calibration-profile.md): measured per-operation energies and static
 * power for one target, which override the target's published figures. Read, written and checked
 * here, with errors that name the file and the JSON path; built from a fit by profileFromFit.
 *
 * Also the measurements CSV the fit starts from (probe, joules, seconds per inference, measured
 * outside the project) and the join of those rows with a probe set's expected activity.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeAtomically } from '../src/util/atomic-write.js';
import path from 'node:path';
import { describeValue, FormatError } from '../src/ir/errors.js';
import { ENERGY_OPS, type EnergyFit, type FitEstimate, type FitRow } from './fitter.js';
import { probeCounts, type ProbeManifest } from './probes.js';
import type { CalibrationProfile, EnergyOp } from './types.js';
import { fileProblem, readJsonFile } from '../src/ir/json-file.js';

export const CALIBRATION_FORMAT = 'autosnn-calibration';
export const CALIBRATION_FORMAT_VERSIONS: readonly number[] = [1];

// ---------------------------------------------------------------------------------------------
// Profiles

type Json = Record<string, unknown>;

const PROFILE_FIELDS = ['format', 'formatVersion', 'target', 'date', 'perOp', 'provenance'];
const PROFILE_OPTIONAL = ['staticPower'];
const PROVENANCE_FIELDS = ['probes', 'measurements', 'rows', 'residualRms'];
// A date, or a date and time with a zone: the profile records when the board was measured.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (at: string, key: string): string => (at ? `${at}.${key}` : key);

class ProfileReader {
  constructor(readonly file: string) {}

  fail(at: string, problem: string, expected: string): never {
    throw new FormatError({ file: this.file, path: at, problem, expected });
  }

  found(value: unknown): string {
    return value === undefined ? 'missing' : `is ${describeValue(value)}`;
  }

  object(value: unknown, at: string, expected: string): Json {
    if (!isObject(value)) this.fail(at, this.found(value), expected);
    return value;
  }

  fields(object: Json, at: string, required: readonly string[], optional: readonly string[], subject: string): void {
    for (const key of required) {
      if (object[key] === undefined) this.fail(join(at, key), 'missing', `${key} in ${subject}`);
    }
    const known = [...required, ...optional];
    for (const key of Object.keys(object)) {
      if (!known.includes(key))
        this.fail(join(at, key), 'unknown field', `only the fields of ${subject}: ${known.join(', ')}`);
    }
  }

  /** A finite number ≥ 0 (energies, powers and residuals cannot be negative). */
  nonNegative(object: Json, at: string, key: string, unit: string): number {
    const value = object[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.fail(join(at, key), this.found(value), `a finite number ≥ 0 (${unit})`);
    }
    return value;
  }

  string(object: Json, at: string, key: string): string {
    const value = object[key];
    if (typeof value !== 'string' || value === '') this.fail(join(at, key), this.found(value), 'a non-empty string');
    return value;
  }

  /** { value, ci95: [low, high] } with low ≤ value ≤ high. */
  estimate(value: unknown, at: string, unit: string): void {
    const estimate = this.object(value, at, `{ value, ci95 } in ${unit}`);
    this.fields(estimate, at, ['value', 'ci95'], [], 'an estimate');
    const v = this.nonNegative(estimate, at, 'value', unit);
    const ci = estimate.ci95;
    const ciPath = join(at, 'ci95');
    const ok =
      Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    if (!ok) this.fail(ciPath, this.found(ci), `[low, high]: two finite numbers ≥ 0 (${unit})`);
    const [low, high] = ci as [number, number];
    if (!(low <= v && v <= high)) {
      this.fail(ciPath, `[${low}, ${high}] does not contain the value ${v}`, 'low ≤ value ≤ high');
    }
  }
}

/** Checks a parsed profile completely and returns it typed; errors name `file` and the JSON path. */
export function validateCalibrationProfile(json: unknown, file: string): CalibrationProfile {
  const read = new ProfileReader(file);
  const root = read.object(json, '', 'a JSON object: an AutoSNN calibration profile');
  // format and version first: a newer file should fail on its version, not on a new field.
  if (root.format !== CALIBRATION_FORMAT) read.fail('format', read.found(root.format), `'${CALIBRATION_FORMAT}'`);
  if (!CALIBRATION_FORMAT_VERSIONS.includes(root.formatVersion as number)) {
    read.fail(
      'formatVersion',
      root.formatVersion === undefined
        ? 'missing'
        : `version ${describeValue(root.formatVersion)} is unknown to this reader`,
      `one of the versions this reader knows: ${CALIBRATION_FORMAT_VERSIONS.join(', ')}`,
    );
  }
  read.fields(root, '', PROFILE_FIELDS, PROFILE_OPTIONAL, 'a calibration profile');
  read.string(root, '', 'target');
  const date = read.string(root, '', 'date');
  if (!ISO_DATE.test(date) || Number.isNaN(Date.parse(date))) {
    read.fail('date', read.found(date), 'an ISO 8601 date, or date and time with a zone, e.g. 2025-01-31T12:00:00Z');
  }
  const perOp = read.object(root.perOp, 'perOp', 'an object of op → { value, ci95 } in joules');
  for (const key of Object.keys(perOp)) {
    if (!ENERGY_OPS.includes(key as EnergyOp)) {
      read.fail(`perOp.${key}`, 'unknown op', `one of ${ENERGY_OPS.join(', ')}`);
    }
    read.estimate(perOp[key], `perOp.${key}`, 'joules per operation');
  }
  if (root.staticPower !== undefined) read.estimate(root.staticPower, 'staticPower', 'watts');
  if (Object.keys(perOp).length === 0 && root.staticPower === undefined) {
    read.fail('perOp', 'is {} and there is no staticPower', 'at least one calibrated figure');
  }
  const provenance = read.object(root.provenance, 'provenance', 'an object: probes, measurements, rows, residualRms');
  read.fields(provenance, 'provenance', PROVENANCE_FIELDS, ['notes'], 'provenance');
  read.string(provenance, 'provenance', 'probes');
  read.string(provenance, 'provenance', 'measurements');
  const rows = provenance.rows;
  if (!Number.isSafeInteger(rows) || (rows as number) < 1) {
    read.fail('provenance.rows', read.found(rows), 'a whole number ≥ 1: the measured rows fitted');
  }
  read.nonNegative(provenance, 'provenance', 'residualRms', 'joules');
  if (provenance.notes !== undefined && typeof provenance.notes !== 'string') {
    read.fail('provenance.notes', read.found(provenance.notes), 'a string');
  }
  return structuredClone(root) as unknown as CalibrationProfile;
}

export async function readCalibrationProfile(file: string): Promise<CalibrationProfile> {
  const json = await readJsonFile(file, 'a JSON object: an AutoSNN calibration profile');
  return validateCalibrationProfile(json, file);
}

/** Checks the profile, then replaces `file` all at once (a reader never sees half a profile). */
export async function writeCalibrationProfile(file: string, profile: CalibrationProfile): Promise<void> {
  const checked = validateCalibrationProfile(profile, file);
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomically(file, `${JSON.stringify(checked, null, 2)}\n`);
}

const plain = (estimate: FitEstimate): { value: number; ci95: [number, number] } => ({
  value: estimate.value,
  ci95: [estimate.ci95[0], estimate.ci95[1]],
});

/**
 * A profile for `target` from a fit. `provenance` names the probe set and the measurements
 * file; rows and the residual come from the fit, and the fit's interval method and warnings are
 * appended to the notes so the profile says how far to trust it.
 */
export function profileFromFit(
  target: string,
  fit: EnergyFit,
  provenance: { probes: string; measurements: string; notes?: string },
  date: Date = new Date(),
): CalibrationProfile {
  const perOp: CalibrationProfile['perOp'] = {};
  for (const op of ENERGY_OPS) {
    const estimate = fit.perOp[op];
    if (estimate) perOp[op] = plain(estimate);
  }
  const method =
    `NNLS, ${fit.weighting} weighting, Student-t 95 % intervals on ${fit.dof} residual degrees of freedom ` +
    `(condition number ${fit.condition.toPrecision(3)})`;
  const notes = [provenance.notes, method, ...fit.warnings].filter((s): s is string => !!s).join('; ');
  return {
    format: CALIBRATION_FORMAT,
    formatVersion: 1,
    target,
    date: date.toISOString(),
    perOp,
    ...(fit.staticPower ? { staticPower: plain(fit.staticPower) } : {}),
    provenance: {
      probes: provenance.probes,
      measurements: provenance.measurements,
      rows: fit.residuals.length,
      residualRms: fit.residualRms,
      notes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements CSV

/** One measured row: joules and seconds of one inference of a probe. */
export interface Measurement {
  probe: string;
  /** Joules per inference. */
  joules: number;
  /** Seconds per inference. */
  seconds: number;
  trial?: number;
  /** Where it was read, for errors further on. */
  source: { file: string; line: number };
}

/** A measurements file that cannot be read: names the file, the line and the column. */
export class MeasurementsError extends Error {
  override readonly name = 'MeasurementsError';
  constructor(
    readonly file: string,
    /** 1-based; 0 for the file as a whole (it could not be read). */
    readonly line: number,
    readonly column: string | undefined,
    readonly problem: string,
    readonly expected: string,
  ) {
    super(
      `${file}${line > 0 ? `:${line}` : ''}: ${column === undefined ? '' : `column ${column}: `}${problem} (expected ${expected})`,
    );
  }
}

const MEASUREMENT_COLUMNS = ['probe', 'joules', 'seconds'] as const;
const OPTIONAL_COLUMNS = ['trial'] as const;

/** Splits one CSV line: commas, with double-quoted fields ("" for a quote) as spreadsheets write them. */
function splitCsvLine(text: string, fail: (problem: string) => never): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === ',') {
      fields.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else field += ch;
  }
  if (quoted) fail('a quoted field is not closed');
  fields.push(wasQuoted ? field : field.trim());
  return fields;
}

/**
 * Reads a measurements CSV: a header naming the columns probe, joules, seconds and optionally
 * trial (any order), then one row per measured run, joules and seconds per inference. Blank lines
 * and lines starting with # are skipped. Repeated trials are kept as separate rows, not averaged:
 * the spread between trials is information the fit's residual variance (and so the intervals)
 * should see. A (probe, trial) pair given twice is an error.
 */
export async function readMeasurements(file: string): Promise<Measurement[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MeasurementsError(
      file,
      0,
      undefined,
      fileProblem(error),
      'a measurements CSV: probe,joules,seconds[,trial]',
    );
  }
  return parseMeasurements(text, file);
}

/** parseMeasurements on text already read; `file` names it in errors. */
export function parseMeasurements(text: string, file: string): Measurement[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  let headerLine = 0;
  const out: Measurement[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(raw, (problem) => {
      throw new MeasurementsError(file, line, undefined, problem, 'comma-separated fields');
    });
    if (!header) {
      header = fields.map((name) => name.toLowerCase());
      headerLine = line;
      header.forEach((name, i) => {
        if (![...MEASUREMENT_COLUMNS, ...OPTIONAL_COLUMNS].includes(name as 'probe')) {
          throw new MeasurementsError(
            file,
            line,
            `${i + 1} ('${fields[i]}')`,
            'unknown column',
            `only the columns ${MEASUREMENT_COLUMNS.join(', ')} and optionally ${OPTIONAL_COLUMNS.join(', ')}`,
          );
        }
        if (header!.indexOf(name) !== i) {
          throw new MeasurementsError(file, line, `${i + 1} ('${fields[i]}')`, 'named twice', 'each column once');
        }
      });
      for (const name of MEASUREMENT_COLUMNS) {
        if (!header.includes(name)) {
          throw new MeasurementsError(
            file,
            line,
            undefined,
            `the header has no '${name}' column (it has ${header.map((h) => `'${h}'`).join(', ')})`,
            `a header naming ${MEASUREMENT_COLUMNS.join(', ')} and optionally trial`,
          );
        }
      }
      return;
    }
    if (fields.length !== header.length) {
      throw new MeasurementsError(
        file,
        line,
        undefined,
        `${fields.length} field${fields.length === 1 ? '' : 's'}`,
        `${header.length}, as the header on line ${headerLine}`,
      );
    }
    const cell = (name: string): { value: string; column: string } => {
      const i = header!.indexOf(name);
      return { value: fields[i]!, column: `${i + 1} (${name})` };
    };
    const number = (name: 'joules' | 'seconds', least: { above?: number }): number => {
      const { value, column } = cell(name);
      const parsed = value === '' ? NaN : Number(value);
      if (!Number.isFinite(parsed)) {
        throw new MeasurementsError(
          file,
          line,
          column,
          value === '' ? 'empty' : `'${value}' is not a number`,
          `a finite number of ${name} per inference`,
        );
      }
      if (least.above !== undefined && !(parsed > least.above)) {
        throw new MeasurementsError(
          file,
          line,
          column,
          `${parsed}`,
          `a number > ${least.above} of ${name} per inference`,
        );
      }
      return parsed;
    };
    const probe = cell('probe');
    if (probe.value === '') throw new MeasurementsError(file, line, probe.column, 'empty', 'a probe name');
    // Dynamic joules (active − idle) of a near-idle probe can come out slightly negative; keep them.
    const joules = number('joules', {});
    const seconds = number('seconds', { above: 0 });
    let trial: number | undefined;
    if (header.includes('trial')) {
      const { value, column } = cell('trial');
      if (value !== '') {
        trial = Number(value);
        if (!Number.isSafeInteger(trial) || trial < 0) {
          throw new MeasurementsError(file, line, column, `'${value}'`, 'a whole number ≥ 0, or empty');
        }
      }
    }
    if (trial !== undefined) {
      const key = `${probe.value}\u0000${trial}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw new MeasurementsError(
          file,
          line,
          cell('trial').column,
          `probe '${probe.value}' trial ${trial} was already given on line ${first}`,
          'each (probe, trial) once',
        );
      }
      seen.set(key, line);
    }
    out.push({
      probe: probe.value,
      joules,
      seconds,
      ...(trial !== undefined ? { trial } : {}),
      source: { file, line },
    });
  });
  if (!header) {
    throw new MeasurementsError(file, 1, undefined, 'no header', 'a header line: probe,joules,seconds[,trial]');
  }
  if (out.length === 0) {
    throw new MeasurementsError(file, headerLine, undefined, 'no rows after the header', 'one row per measured run');
  }
  return out;
}

/**
 * The fitter's rows: each measurement with its probe's expected counts per inference from the
 * manifest. A measurement of a probe the manifest does not have is an error naming its line.
 */
export function measurementRows(manifest: ProbeManifest, measurements: readonly Measurement[]): FitRow[] {
  const probes = new Map(manifest.probes.map((probe) => [probe.name, probe]));
  return measurements.map((m) => {
    const probe = probes.get(m.probe);
    if (!probe) {
      throw new MeasurementsError(
        m.source.file,
        m.source.line,
        'probe',
        `no probe '${m.probe}' in the probe set`,
        `one of ${[...probes.keys()].join(', ')}`,
      );
    }
    return { probe: m.probe, counts: probeCounts(probe.expected), seconds: m.seconds, joules: m.joules };
  });
}
