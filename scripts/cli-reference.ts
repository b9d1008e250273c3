/**
 * Writes docs/cli.md, and the command list in README.md, from the CLI's own declarations
 * (src/cli/commands), so the reference and `autosnn --help` cannot disagree; a test fails when
 * either is stale.
 *   node dist/scripts/cli-reference.js > docs/cli.md
 *   node dist/scripts/cli-reference.js --readme        (rewrites the block in README.md)
 */
import { readFileSync, writeFileSync } from 'node:fs';
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

const README_START = '<!-- cli-commands:start -->';
const README_END = '<!-- cli-commands:end -->';

/** README.md with the block between its markers replaced by `autosnn --help`. */
export function withReadmeCommands(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md: no ${README_START} … ${README_END} block`);
  const block = ['```', mainHelp().trimEnd(), '```'].join('\n');
  return `${readme.slice(0, start + README_START.length)}\n${block}\n${readme.slice(end)}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  if (process.argv[2] === '--readme') {
    writeFileSync('README.md', withReadmeCommands(readFileSync('README.md', 'utf8')));
  } else {
    process.stdout.write(cliReference());
  }
}
