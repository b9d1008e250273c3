import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const run = promisify(execFile);
const BIN = 'bin/autosnn.js';

test('autosnn --version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const { stdout } = await run(BIN, ['--version']);
  t.is(stdout.trim(), pkg.version);
});

test('autosnn info --json reports libtorch, threads and CUDA', async (t) => {
  const { stdout } = await run(BIN, ['info', '--json']);
  const info = JSON.parse(stdout) as {
    libtorch: string;
    threads: number;
    addonParallel: boolean;
    cudaAvailable: boolean;
    devices: unknown[];
  };
  t.regex(info.libtorch, /^\d+\.\d+\.\d+/);
  t.true(info.threads >= 1);
  // The build links an OpenMP runtime, so the fused neuron is not left on one thread.
  t.true(info.addonParallel, 'the addon was built without OpenMP (see native/CMakeLists.txt)');
  t.is(typeof info.cudaAvailable, 'boolean');
  t.true(Array.isArray(info.devices));
});

test('autosnn info prints a readable table', async (t) => {
  const { stdout } = await run(BIN, ['info']);
  t.regex(stdout, /^libtorch\s+\d+\.\d+/m);
  t.regex(stdout, /^CUDA available\s+(yes|no)$/m);
  t.regex(stdout, /^fused neuron \(CPU\)\s+on the intra-op threads$/m);
  t.regex(stdout, /^devices\s+cpu/m);
});

test('autosnn train-tiny --json: the loss falls on memorised random data', async (t) => {
  const { stdout } = await run(BIN, ['train-tiny', '--steps', '120', '--json']);
  const result = JSON.parse(stdout) as { losses: number[]; earlyMeanLoss: number; lateMeanLoss: number };
  t.is(result.losses.length, 120);
  t.true(result.earlyMeanLoss > 1.5, `starts near ln 10: ${result.earlyMeanLoss}`);
  t.true(result.lateMeanLoss < result.earlyMeanLoss * 0.5, `${result.earlyMeanLoss} → ${result.lateMeanLoss}`);
});

test('bad options give one clear line and exit code 2', async (t) => {
  const error = await t.throwsAsync(run(BIN, ['train-tiny', '--steps', '0']));
  t.is((error as { code?: number }).code, 2);
  t.is((error as unknown as { stderr: string }).stderr.trim(), "autosnn: --steps must be a whole number ≥ 1, got '0'");
  const unknown = await t.throwsAsync(run(BIN, ['frobnicate']));
  t.regex((unknown as unknown as { stderr: string }).stderr, /unknown command 'frobnicate'/);
  const flag = await t.throwsAsync(run(BIN, ['info', '--bogus']));
  t.is(
    (flag as unknown as { stderr: string }).stderr.trim(),
    "autosnn: info: unknown option '--bogus' (see autosnn info --help)",
  );
});

test('usage slips are worded for the command, with the nearest name', async (t) => {
  const stderrOf = async (args: string[]): Promise<string> => {
    const error = await t.throwsAsync(run(BIN, args));
    t.is((error as { code?: number }).code, 2, args.join(' '));
    return (error as unknown as { stderr: string }).stderr.trim();
  };
  t.is(await stderrOf(['trian']), "autosnn: unknown command 'trian'; did you mean train? (see autosnn --help)");
  t.is(
    await stderrOf(['export', '--verfy']),
    "autosnn: export: unknown option '--verfy'; did you mean --verify? (see autosnn export --help)",
  );
  t.is(
    await stderrOf(['export', 'models/a', '--format', 'onnx']),
    "autosnn: export: unexpected argument 'models/a'; the model is given as --model models/a (see autosnn export --help)",
  );
  t.is(await stderrOf(['estimate', '--target']), 'autosnn: estimate: --target needs a value (NAMES|all)');
  t.is(await stderrOf(['train', '--json=yes']), 'autosnn: train: --json is a switch and takes no value');
  t.is(
    await stderrOf(['train', '--epochs', '-1']),
    "autosnn: train: --epochs is followed by an option, not its N (a value that starts with '-' is written --epochs=-…)",
  );
  t.regex(await stderrOf(['inspect', 'a', 'b']), /^autosnn: inspect: unexpected argument 'b'; it takes FILE/);
});

test('autosnn train: missing options, a downloaded dataset without its files, an unknown one are explained', async (t) => {
  const missing = await t.throwsAsync(run(BIN, ['train', '--dataset', 'mnist', '--out', '/tmp/x']));
  t.regex((missing as unknown as { stderr: string }).stderr, /train needs --arch/);
  const env = { ...process.env, AUTOSNN_DATA_DIR: '' };
  const noDir = await t.throwsAsync(
    run(BIN, ['train', '--arch', 'autosnn', '--dataset', 'cifar10', '--out', '/tmp/x'], { env }),
  );
  t.regex(
    (noDir as unknown as { stderr: string }).stderr,
    /dataset 'cifar10' is read from the files you download: give --data-dir/,
  );
  const empty = await t.throwsAsync(
    run(BIN, [
      'train',
      '--arch',
      'autosnn',
      '--dataset',
      'cifar10',
      '--out',
      '/tmp/x',
      '--data-dir',
      '/nonexistent-data',
    ]),
  );
  // The reader names what it expected under the directory and where CIFAR is published.
  t.regex((empty as unknown as { stderr: string }).stderr, /cifar-10-batches-bin/);
  t.regex((empty as unknown as { stderr: string }).stderr, /cs\.toronto\.edu/);
  const unknown = await t.throwsAsync(
    run(BIN, ['train', '--arch', 'autosnn', '--dataset', 'imagenet', '--out', '/tmp/x']),
  );
  t.regex(
    (unknown as unknown as { stderr: string }).stderr,
    /unknown dataset 'imagenet' \(known: mnist, nmnist-sim, mnist-rate, cifar10/,
  );
});

test('autosnn train --json on a few batches writes a model and prints one summary', async (t) => {
  const out = `/tmp/autosnn-cli-train-${process.pid}`;
  const { stdout } = await run(BIN, [
    'train',
    '--arch',
    'autosnn-l24',
    '--dataset',
    'mnist',
    '--width',
    '2',
    '--T',
    '2',
    '--epochs',
    '1',
    '--batch',
    '8',
    '--max-batches',
    '2',
    '--out',
    out,
    '--json',
  ]);
  const lines = stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]!) as { testAccuracy: number; epochs: number; out: string };
  t.is(summary.epochs, 1);
  t.is(summary.out, out);
  t.true(summary.testAccuracy >= 0 && summary.testAccuracy <= 1);
  const { rm } = await import('node:fs/promises');
  await rm(out, { recursive: true, force: true });
});

test('a missing or malformed file is named, with what was expected there', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cli-files-'));
  try {
    const stderrOf = async (args: string[]): Promise<string> => {
      const error = await t.throwsAsync(run(BIN, args));
      t.is((error as { code?: number }).code, 1, args.join(' '));
      return (error as unknown as { stderr: string }).stderr.trim();
    };
    const none = path.join(dir, 'none');
    t.is(
      await stderrOf(['inspect', none]),
      `autosnn: ${none}: no such file or directory (expected a model directory, ONNX, NIR or netx HDF5, or a firmware image)`,
    );
    t.is(
      await stderrOf(['retrain', '--search', none]),
      `autosnn: ${none}/search.json: no such file (expected the search.json that \`autosnn search --out DIR\` writes)`,
    );
    const arch = path.join(dir, 'arch.json');
    await writeFile(arch, '{"kind": "mlp",}');
    t.regex(
      await stderrOf(['train', '--arch', arch, '--dataset', 'mnist', '--out', path.join(dir, 'out')]),
      new RegExp(`^autosnn: ${arch} at byte 15: not valid JSON: .+ \\(expected an architecture JSON object`),
    );
    // A file not named *.json is read as one too, not mistaken for a built-in's name.
    const text = path.join(dir, 'arch.txt');
    await writeFile(text, 'kind: mlp\n');
    t.regex(
      await stderrOf(['train', '--arch', text, '--dataset', 'mnist', '--out', path.join(dir, 'out')]),
      new RegExp(`^autosnn: ${text}: not valid JSON: .+ \\(expected an architecture JSON object`),
    );
    t.regex(
      await stderrOf(['train', '--arch', 'autosn', '--dataset', 'mnist', '--out', path.join(dir, 'out')]),
      /^autosnn: architecture: name: unknown built-in 'autosn' \(built-ins: autosnn, /,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
