/**
 * `make fixtures`: trains the small mnist model later tests and exporters read
 * (fixtures/mnist-small/: model.json, weights.safetensors, metrics.json), so no test trains its
 * own. The result is cached by a content hash of everything that decides it — the recipe
 * below and the sources of the compiler, builder, neurons, data and trainer — and is only
 * retrained when that hash changes (or with FRESH=1).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getDataset } from '../src/data/index.js';
import { builtinArchitecture } from '../src/snn/architecture.js';
import { train, TRAIN_DEFAULTS, type TrainSettings } from '../src/train/trainer.js';

const OUT = path.join('fixtures', 'mnist-small');
const HASH_FILE = path.join(OUT, '.content-hash');
const INPUTS = ['src/ir', 'src/snn', 'src/data', 'src/train', 'native/src', 'scripts/make-fixtures.ts'];

/** The recipe: small enough for ≤ 3 minutes on 2 cores, accurate enough to be a real model. */
const SETTINGS: TrainSettings = { ...TRAIN_DEFAULTS, epochs: 2, batchSize: 48 };
const ARCH = builtinArchitecture('autosnn', {
  width: 8,
  timesteps: 4,
  input: { shape: [1, 32, 32], encoding: 'direct' },
  classes: 10,
});

async function files(entry: string): Promise<string[]> {
  if (!existsSync(entry)) return [];
  if (!(await readdir(entry).catch(() => null))) return [entry];
  const names = (await readdir(entry, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? d.path, d.name));
  return names.sort();
}

async function contentHash(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ SETTINGS, ARCH }));
  for (const entry of INPUTS) {
    for (const file of await files(entry)) {
      hash.update(file);
      hash.update(await readFile(file));
    }
  }
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const hash = await contentHash();
  const cached = existsSync(HASH_FILE) ? (await readFile(HASH_FILE, 'utf8')).trim() : '';
  if (cached === hash && process.env.FRESH !== '1') {
    process.stdout.write(`fixtures: ${OUT} is up to date (${hash.slice(0, 12)})\n`);
    return;
  }
  await rm(OUT, { recursive: true, force: true });
  process.stdout.write(`fixtures: training ${ARCH.name} (C=8, T=4) on mnist into ${OUT}\n`);
  const result = await train(ARCH, getDataset('mnist'), SETTINGS, OUT, {
    onEpoch: (r) =>
      process.stdout.write(`  epoch ${r.epoch}: validation accuracy ${(r.validationAccuracy * 100).toFixed(1)}%\n`),
  });
  await rm(path.join(OUT, 'checkpoint'), { recursive: true, force: true });
  await writeFile(HASH_FILE, `${hash}\n`);
  process.stdout.write(
    `fixtures: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.seconds.toFixed(0)} s (${hash.slice(0, 12)})\n`,
  );
}

await main();
