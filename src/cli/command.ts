/**
 * What a subcommand declares: its options (with the help text printed for them), and how it
 * runs. main.ts parses each command's options strictly — an option another command takes is
 * still an error here — and generates `autosnn <command> --help` (and the README's CLI
 * reference) from these declarations, so help and behaviour cannot disagree.
 */
import { DATASET_NAMES, DOWNLOADED_DATASETS } from '../data/index.js';
import type { OptionValues } from './args.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's placeholder in help, e.g. 'DIR', 'N'. */
  value?: string;
  description: string;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments in the usage line, e.g. 'FILE'. */
  positionals?: string;
  /** How many positionals it takes: [least, most]. */
  positionalCount?: [number, number];
  options: Record<string, OptionSpec>;
  /** Lines printed after the options in --help (examples, notes). */
  notes?: string[];
  run(values: OptionValues, positionals: string[]): Promise<number> | number;
}

/** Every command takes these. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'machine-readable output on stdout (one JSON object)' },
  help: { type: 'boolean', description: 'this help' },
};

export function commandHelp(spec: CommandSpec): string {
  const lines = [`autosnn ${spec.name} — ${spec.summary}`, ''];
  lines.push(`usage: autosnn ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`, '', 'options:');
  const entries = Object.entries({ ...spec.options, ...COMMON_OPTIONS });
  const left = entries.map(([name, o]) => `  --${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  entries.forEach(([, o], i) => lines.push(`${left[i]!.padEnd(width)}${o.description}`));
  if (spec.notes && spec.notes.length > 0) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}

/** Where downloaded datasets lie: every command that reads a dataset takes it. */
export const DATA_DIR_OPTION: OptionSpec = {
  type: 'string',
  value: 'DIR',
  description: 'where downloaded datasets lie (docs/datasets.md)',
};

/** train and search: the dataset, built in or downloaded, and where the downloaded ones lie. */
export const DATASET_OPTIONS: Record<string, OptionSpec> = {
  dataset: {
    type: 'string',
    value: 'NAME',
    description:
      `built in: ${DATASET_NAMES.filter((name) => !DOWNLOADED_DATASETS.includes(name)).join(', ')}; ` +
      `downloaded (with --data-dir): ${DOWNLOADED_DATASETS.join(', ')}`,
  },
  'data-dir': DATA_DIR_OPTION,
};

/** train and search: the event datasets' filters and downsampling before framing. */
export const EVENT_PIPELINE_OPTIONS: Record<string, OptionSpec> = {
  'events-refractory-us': {
    type: 'string',
    value: 'US',
    description: "event data: drop a pixel's events within US µs of its previous one",
  },
  'events-denoise-us': {
    type: 'string',
    value: 'US',
    description: 'event data: keep an event only if a neighbour fired within US µs before it',
  },
  'events-downsample': {
    type: 'string',
    value: 'F',
    description: 'event data: divide the sensor by F (DVS 128×128 by 4 gives 32×32)',
  },
};
