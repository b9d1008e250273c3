/**
 * Writes docs/cli.md from the CLI's own declarations (src/cli/commands), so the reference and
 * `autosnn --help` cannot disagree; a test fails when the file is stale.
 *   node dist/scripts/cli-reference.js > docs/cli.md
 */
import { COMMANDS } from '../src/cli/commands/index.js';
import { commandHelp } from '../src/cli/command.js';
import { mainHelp } from '../src/cli/main.js';

export function cliReference(): string {
  const parts = [
    '# The `autosnn` command line',
    '',
    "Generated from the CLI's own help by `node dist/scripts/cli-reference.js > docs/cli.md`",
    '(a test checks it is current). Each command prints the same with `autosnn <command> --help`.',
    '',
    '```',
    mainHelp().trimEnd(),
    '```',
  ];
  for (const command of COMMANDS) {
    parts.push('', `## ${command.name}`, '', '```', commandHelp(command).trimEnd(), '```');
  }
  return `${parts.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.stdout.write(cliReference());
}
