/**
 * Headless Chromium for the report tests: run a page with a measuring script appended to a copy
 * of it and read back what the browser laid out, or take a screenshot and check it is a PNG.
 */
import type { ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function findChromium(): string | undefined {
  const names = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    if (!name) continue;
    for (const candidate of name.includes('/') ? [name] : dirs.map((d) => join(d, name))) {
      try {
        accessSync(candidate, fsConstants.X_OK);
        return candidate;
      } catch {
        // not here; try the next
      }
    }
  }
  return undefined;
}

/** Fails (never skips) without a browser: CI must not pass by not looking. */
export function requireChromium(t: ExecutionContext): string | undefined {
  const bin = findChromium();
  if (!bin) {
    t.fail(
      'chromium is not installed, so the page cannot be checked in a browser: `make setup` installs it ' +
        '(scripts/setup.sh; CI runs it), or set CHROMIUM=/path/to/chrome',
    );
  }
  return bin;
}

/** Runs headless Chromium once with a profile of its own, so parallel runs do not share a lock. */
export async function chromium(bin: string, args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'autosnn-chromium-'));
  try {
    const { stdout } = await run(
      bin,
      [
        '--headless',
        '--disable-gpu',
        '--no-sandbox',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-dev-shm-usage',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * Loads a copy of `page` with `script` appended to its body and returns what the script measured.
 * The script must end by calling `report(value)`: the value goes out JSON- and URI-encoded through
 * a <pre> that --dump-dom prints, so nothing in it needs HTML escaping on the way.
 */
export async function probePage<T>(bin: string, page: string, script: string, windowSize = '1280,1000'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'autosnn-probe-'));
  try {
    const probe =
      `<pre id="probe"></pre><script>\n` +
      `const report = (value) => { document.getElementById('probe').textContent = ` +
      `encodeURIComponent(JSON.stringify(value)); };\n${script}\n</script>`;
    const file = join(dir, 'probed.html');
    if (!page.includes('</body>')) throw new Error('probePage: the page has no </body>');
    await writeFile(file, page.replace('</body>', `${probe}\n</body>`));
    const dom = await chromium(bin, [`--window-size=${windowSize}`, '--dump-dom', pathToFileURL(file).href]);
    const encoded = /<pre id="probe">([^<]*)<\/pre>/.exec(dom)?.[1];
    if (!encoded) throw new Error('probePage: the probe did not report (a script error in the page or the probe?)');
    return JSON.parse(decodeURIComponent(encoded)) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asserts `bytes` is a PNG of the given size with more than `minBytes` of content. */
export function checkPng(t: ExecutionContext, bytes: Buffer, width: number, height: number, minBytes: number): void {
  t.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  t.is(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  t.is(bytes.readUInt32BE(16), width, 'width');
  t.is(bytes.readUInt32BE(20), height, 'height');
  t.true(bytes.length > minBytes, `a page's worth of content: ${bytes.length} bytes`);
}
