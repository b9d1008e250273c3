/**
 * The `autosnn` command line: a registry of subcommands (./commands/*), each declaring its
 * options (./command.ts). Options are parsed per command, strictly; errors print one clear line
 * (no stack) unless AUTOSNN_DEBUG=1; usage errors exit with 2, failures with 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UsageError, type OptionValues } from './args.js';
import { COMMON_OPTIONS, commandHelp, type CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandUsageError, unexpectedArgument, unknownCommand } from './usage.js';
import { prepareDownloadedDatasets, setDataDir } from '../data/index.js';

function version(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'autosnn — search energy-efficient spiking networks and deploy them on neuromorphic hardware',
    '',
    'usage: autosnn <command> [options]      autosnn <command> --help for its options',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'options:',
    '  --json      machine-readable output on stdout (one JSON object)',
    '  --version   print the version',
    '  -h, --help  this help',
    '',
  ].join('\n');
}

function parseCommand(spec: CommandSpec, argv: string[]): { values: OptionValues; positionals: string[] } {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries({ ...spec.options, ...COMMON_OPTIONS })) {
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    throw commandUsageError(spec, error);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '--version') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(mainHelp());
      return command === undefined ? 2 : 0;
    }
    const spec = COMMANDS.find((c) => c.name === command);
    if (!spec) {
      throw unknownCommand(
        command,
        COMMANDS.map((c) => c.name),
      );
    }
    const { values, positionals } = parseCommand(spec, rest);
    if (values.help === true) {
      process.stdout.write(commandHelp(spec));
      return 0;
    }
    const [least, most] = spec.positionalCount ?? [0, 0];
    if (positionals.length > most) throw unexpectedArgument(spec, positionals[most]!, most > 0);
    if (positionals.length < least) throw new UsageError(`${spec.name} needs ${spec.positionals ?? 'an argument'}`);
    // Downloaded datasets are opened far from here (a search's validation, an export's check):
    // the directory is set once for the process.
    const dataDir = values['data-dir'];
    if (typeof dataDir === 'string') setDataDir(dataDir);
    if (typeof dataDir === 'string' || process.env.AUTOSNN_DATA_DIR) await prepareDownloadedDatasets();
    return await spec.run(values, positionals);
  } catch (error) {
    if (process.env.AUTOSNN_DEBUG === '1') throw error;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`autosnn: ${message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
