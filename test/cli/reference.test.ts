/** docs/cli.md is generated from the CLI's declarations; this fails when it is stale. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { cliReference } from '../../scripts/cli-reference.js';

test('docs/cli.md is the CLI’s current help (regenerate: node dist/scripts/cli-reference.js > docs/cli.md)', async (t) => {
  const file = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));
  t.is(await readFile(file, 'utf8'), cliReference());
});
