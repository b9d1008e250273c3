import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FormatError } from '../../src/ir/errors.js';
import { parseJsonText, readJsonFile } from '../../src/ir/json-file.js';

test('readJsonFile: the file, what is wrong with it and what was expected, in one line', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'json-file-'));
  try {
    const expected = 'a thing';
    const missing = path.join(dir, 'none.json');
    let error = await t.throwsAsync(readJsonFile(missing, expected), { instanceOf: FormatError });
    t.is(error!.message, `${missing}: no such file (expected a thing)`);

    error = await t.throwsAsync(readJsonFile(dir, expected), { instanceOf: FormatError });
    t.is(error!.message, `${dir}: is a directory, not a file (expected a thing)`);

    const empty = path.join(dir, 'empty.json');
    await writeFile(empty, ' \n');
    error = await t.throwsAsync(readJsonFile(empty, expected), { instanceOf: FormatError });
    t.is(error!.message, `${empty}: empty file (expected a thing)`);

    // The offset is in bytes: 'é' takes two, so the '}' after the stray comma, character 9, is byte 10.
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"é": 1, }');
    error = await t.throwsAsync(readJsonFile(broken, expected), { instanceOf: FormatError });
    t.is(error!.offset, 10);
    t.regex(error!.message, new RegExp(`^${broken} at byte 10: not valid JSON: .+ \\(expected a thing\\)$`));

    const good = path.join(dir, 'good.json');
    await writeFile(good, '{"a": [1, 2]}');
    t.deepEqual(await readJsonFile(good, expected), { a: [1, 2] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parseJsonText: a truncated document has no offset to name', (t) => {
  const error = t.throws(() => parseJsonText('x.json', '{"a": ', 'a thing'), { instanceOf: FormatError });
  t.is(error!.offset, undefined);
  t.regex(error!.message, /^x\.json: not valid JSON: Unexpected end of JSON input \(expected a thing\)$/);
});

test('parseJsonText: text that is not JSON at all is named in one line, without V8 quoting it', (t) => {
  const error = t.throws(() => parseJsonText('arch.txt', 'kind: mlp\nwidth: 3\n', 'a thing'), {
    instanceOf: FormatError,
  });
  t.false(error!.message.includes('\n'));
  t.regex(error!.message, /^arch\.txt(?: at byte 0)?: not valid JSON: Unexpected token 'k' \(expected a thing\)$/);
});
