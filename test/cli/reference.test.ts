/** docs/cli.md and README.md's command list are generated from the CLI's declarations; these fail when stale. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { cliReference, withReadmeCommands } from '../../scripts/cli-reference.js';

test('docs/cli.md is the CLI’s current help (regenerate: node dist/scripts/cli-reference.js > docs/cli.md)', async (t) => {
  const file = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));
  t.is(await readFile(file, 'utf8'), cliReference());
});

test('README.md lists the CLI’s current commands (regenerate: node dist/scripts/cli-reference.js --readme)', async (t) => {
  const file = fileURLToPath(new URL('../../../README.md', import.meta.url));
  const readme = await readFile(file, 'utf8');
  t.is(readme, withReadmeCommands(readme));
  t.regex(readme, /<!-- cli-commands:start -->\n```\nautosnn — /);
});
