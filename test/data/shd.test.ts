/**
 * The SHD reader against HDF5 files in the published layout (spikes/times and spikes/units as
 * variable-length arrays, labels uint16), and its errors.
 *
 * h5wasm's writer cannot create variable-length numeric datasets (only variable-length strings:
 * its create_dataset has no H5T_VLEN path), so the files in the published layout below were
 * written once with h5py 3.16 and are kept here gzipped and base64-encoded (≈ 9 KB each as .h5):
 *
 *   def write(path, times, units, labels):
 *       with h5py.File(path, 'w', libver='earliest') as f:
 *           g = f.create_group('spikes')
 *           t = g.create_dataset('times', (len(times),), dtype=h5py.vlen_dtype(np.float32))
 *           u = g.create_dataset('units', (len(units),), dtype=h5py.vlen_dtype(np.uint16))
 *           for i, (a, b) in enumerate(zip(times, units)):
 *               t[i] = np.array(a, np.float32); u[i] = np.array(b, np.uint16)
 *           f.create_dataset('labels', data=np.array(labels, np.uint16))
 *           e = f.create_group('extra'); e.create_dataset('speaker', data=np.zeros(len(labels), np.uint16))
 *   write('train.h5', [[0.5, 0.0105, 0.0200004], [], [0.25, 0.25, 1.2]], [[0, 3, 699], [], [10, 11, 12]], [0, 19, 7])
 *   write('test.h5', [[0.001, 0.002]], [[5, 6]], [4])
 *   write('mismatch.h5', [[0.1, 0.2], [0.3]], [[1, 2], [3, 4]], [0, 1])
 *   write('count.h5', [[0.1], [0.3]], [[1], [3]], [0, 1, 2])
 *   # then base64.b64encode(gzip.compress(bytes, 9, mtime=0))
 *
 * The files of the error cases that need no variable-length data are written with h5wasm here.
 */
import test from 'ava';
import h5wasm from 'h5wasm/node';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { BatchLoader } from '../../src/data/dataset.js';
import { DatasetFilesError } from '../../src/data/files.js';
import { createShd, prepareShd, ShdFile } from '../../src/data/shd.js';
import { FormatError } from '../../src/ir/errors.js';
import type { Model } from '../../src/ir/model.js';

const run = promisify(execFile);
/** The command line as a user runs it, from the project root. */
const autosnn = (args: string[]) => run('node', ['bin/autosnn.js', ...args]);

test.before(async () => {
  await h5wasm.ready;
  await prepareShd();
});

const FIXTURES = {
  train:
    'H4sIAAAAAAACA+v0cHHj5ZLiYgABDg4GFgYBBmTwHwr+KKHyYfIJUJoRSndA6RVMMHFGsJwEVFwQaj66upAgV1eQ6v9oAGbPA1YI' +
    'zcEwCkYi8HB1DADREVC+ApQ+wYSqrrggMzu1mIEhJzEpNQdIp1aUFCUipU8LEu3FlX49mCH8DFbi0q8FNOEKjEblaPpFSk8drKjq' +
    'SjJzQcmXoTQvs6QYKd06kGlvsJ+/CyMDM9w+BhnU8loDyveQQ02fH6TwmwsrhxWYUc1DzxfDBTAysEL8yAjjQ0KUkREiAPU2Eq0A' +
    'VioJDVNBBXlg3QopucQ5GMTroepYgSEJUsfEBDGZA2ouM+MESJ3MYIDmkoZBER6QdMUETwca7PjVw9JVA+doWUBZupJASVcgzIQU' +
    'wrjT0wEp7OmpY1CFB8ifB7hQyxRc8iC2u7O/DyNSAoPp4UFosTfk0LF5eH2xDQM8rBgY2JBM3M2ECF+EvgY7EJ41c6Y9iMeCpo+L' +
    'gRvZDoYG/tG0PApGwSgYBaNgFIyCUTAKRsEoGAWjYBTQY7yAiYA8CwM54y0CYKW4x1mY0MZZPiihjzBAwIRBGX645jfQx4UJzW9c' +
    'kIfQo/NzIxOgz2/Axnsz5FDVFRekJmanFiHmCyhOv7TOz9+GVH6GjMszwvPhAbnRtDkKRgECCDPApqoAaKDD8vwiAAA=',
  test:
    'H4sIAAAAAAACA+2ZQUsCQRTHZ2bd2hYi9aIZqHjyI0hdirQ8REZ16JjBQqKluAbdErpsNz+Cx44SfQCPfYyOfQvbcWbWmcW1UoIt' +
    '3w/k7ew+Z5zn/z3lzVO5eLBupkxEMQwUQVEkM+K85tSxeH7JLebW4faZiPt4/CzJ78f4/H6/89NSiXqPfIh13nVmDQQsI+XS3gm1' +
    'F3yc5faNqH52q1a3bIQa1Sur4VrrvtOuSvos/HDdIP2WNTa+1r+n3wIXbhS+StCvpCdHV/06tRsqX3R3W+vYkm5351z37LhSxEjz' +
    '1htuqfX6g4+NtKrPQWr2vKIOZzV1Pn9e/Bcw0tkesRiziGKMlf0Lq7kVil5v8pjGshn3t5VVroSBEg/cT3cjSf0IYW81+Lwa7pnT' +
    'K0Y3FPFguiKeDvKrs/3FLrprUAsW01VS0RV9ESnCwXrqp6bryQlVPOhe+uZkz4f7lSMsfWzsqz/N+ON2M67tiL8BES+vVpR5hxug' +
    'NQAAAAAAAAAAAAAIK3I/gKB5+iXR8XVwn4T4+iSD3GQ1mV4o4xN0PuHv6351PtHLcH+Q3FLiP58QXcJ8WvWzW1a1brUn/f6F9fvb' +
    '+fzyp/KZ9dWxl4fdNGgTAAS0v/8J84PeLrQiAAA=',
  mismatch:
    'H4sIAAAAAAACA+2ZvU4CQRDHd+8jnpcYjwpEA4SKR6CRaAS9gohRC0sxuUQCGsJhYicldrRYWVryGBaQUFhY8iZ4y+4euxcBhRhR' +
    '5tdMZncyC8N/h2T20c4ebphRExEMA2nIQiJDxntS9vn+JbOY2SazLwpfx6O9CFsPsfzBuPPTXI5EDwPwcwY6tQYCVhE7t39C7AXz' +
    'E8y+KnKcWy2VHRehSvHKqXjWua/XioI+0988d5J+bZX61/rX9JtmwrXgpwT9Cnpq6nJcvXRD5Ivubkt1V9Dt3pznnh0Xship/nmD' +
    'bblfGzvUpmKyPvvR6Xl5H06ocr7gvfgvYKTT74i5TyuKMV3gbYhb1etQZGeL1TSUiHv/rbRzhQ0UfmBxuldJEqcoNLPB8qq4Zcqd' +
    'jtNYinpQXSm+DlJr0+O5rhrr0AsW01VE0pXl71kz9NSJfq6n5lLVg3yXjjnuKVjwSWs5OijksSAoHOhHvW53t9fNZ3i9NL/Oip9D' +
    'XH9qtzOir/l11qTP1doErQIAAAAAAAAAAADAb8wHlICvoXnmKdYodPIcRQnMUfpJeVLgTwiWsl6T3i+Cc99Z7xedOLXw/raaBN8v' +
    '+DzXjslxbtUplp3a+D1gYf3+9H1++1P3mc7dsX8Pn2OgTQAQOwbhA3sHw27YIgAA',
  count:
    'H4sIAAAAAAACA+2ZvU4CQRDHZ+84PS8xHhWIBogVj0Cj0Qh6hRGjFpZicokENITDxE5K7GixsrTkMSwwobKy4E2QY3eP3Q0fKjGi' +
    'zq8Z5nYyG4b/zoXZeyezt2zFLPAxTQiBDSI9xtuG7PP1c2YJs3VmnzT+nAzWoux5mOVX406Ps1k/uqfA9+ka1JqA/Eec7M6Rb8+Y' +
    'n2T2WZPjvHKh6HoApfyFW+pb97ZayQv6TH9y33H6dXTqXxof02+aCdfGnxL1K+ipbshx1cKVL1+4uS5UPUG321/c9+QwlyGgB/t1' +
    '1+R+ba5Tm4rL+uzEJuflfTipy/nUc/FXIGDQ70i4TytKCH3A2xC3er9D+SurrKbhZKL/bqWdK2JC5I7FGf1K+nGaRjObLK9OGpbc' +
    '6Ti1uagH1ZUW6CC1ODme66q2hL1gNl1FJV3ZwZo9RU+t2Gg91eesHgAta/hZ9P3Wsr+bOyCCoHjfCTH70m5vjqobgWEOMf6h2dwS' +
    'fU2J4zRWUKsIgiAIgiAIgiAI8hPzAU3xQzB9nqIr/+91sAeh4+comjJH6bCbsAV1QjCn9Rp9f6HOfafdX7QS1OL92/9Evb/g81wn' +
    'Lsd5ZTdfdCvD+4CZ9fvd5/n1V51nOncnwTl8jKM2EUTsGHyG/w5Fe8r03CIAAA==',
};

type Fixture = keyof typeof FIXTURES;

function fixture(name: Fixture): Buffer {
  return gunzipSync(Buffer.from(FIXTURES[name], 'base64'));
}

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-shd-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A data dir holding the published-layout train and test files (or others in their place). */
function writeDir(dir: string, train: Fixture | Buffer = 'train', test: Fixture | Buffer = 'test'): void {
  writeFileSync(join(dir, 'shd_train.h5'), typeof train === 'string' ? fixture(train) : train);
  writeFileSync(join(dir, 'shd_test.h5'), typeof test === 'string' ? fixture(test) : test);
}

/** An HDF5 file written with h5wasm: `build` adds the entries. */
function writeH5(path: string, build: (f: InstanceType<typeof h5wasm.File>) => void): void {
  const f = new h5wasm.File(path, 'w');
  try {
    build(f);
  } finally {
    f.close();
  }
}

test('reads the published layout: labels, events on a 700 × 1 sensor, t in µs, sorted', (t) => {
  withDir((dir) => {
    writeDir(dir);
    const ds = createShd(dir);
    t.is(ds.name, 'shd');
    t.is(ds.kind, 'events');
    t.is(ds.classes, 20);
    t.deepEqual(ds.sampleShape, [1, 1, 700]);
    t.deepEqual(ds.augmentation, { cropPadding: 0, flip: false });
    const train = ds.split('train');
    t.is(train.length, 3);
    t.deepEqual(
      [0, 1, 2].map((i) => train.label(i)),
      [0, 19, 7],
    );

    // stored out of time order: sorted, units follow their times; float32 seconds → rounded µs
    const s0 = train.sample(0);
    t.is(s0.width, 700);
    t.is(s0.height, 1);
    t.deepEqual([...s0.x], [3, 699, 0]);
    t.deepEqual([...s0.t], [10_500, 20_000, 500_000]);
    t.deepEqual([...s0.y], [0, 0, 0]);
    t.deepEqual([...s0.p], [1, 1, 1]);
    t.is(s0.durationUs, 500_000);

    const s1 = train.sample(1);
    t.is(s1.t.length, 0);
    t.is(s1.durationUs, 0);

    const s2 = train.sample(2);
    t.deepEqual([...s2.x], [10, 11, 12]);
    t.deepEqual([...s2.t], [250_000, 250_000, 1_200_000]);

    const test = ds.split('test');
    t.is(test.length, 1);
    t.is(test.label(0), 4);
    t.deepEqual([...test.sample(0).t], [1000, 2000]);
    t.throws(() => train.sample(3), { instanceOf: RangeError });
    t.throws(() => ds.split('valid' as 'train'), { instanceOf: RangeError });
  });
});

test('the batch loader makes [T, N, 1, 1, 700] spike counts; channels: 2 leaves OFF empty', (t) => {
  withDir((dir) => {
    writeDir(dir);
    const loader = new BatchLoader(createShd(dir), 'train', { batchSize: 3, shuffle: false, timesteps: 1 });
    const batch = loader.batch(0, 0);
    t.deepEqual(batch.shape, [1, 3, 1, 1, 700]);
    t.deepEqual(
      [0, 3, 699].map((x) => batch.data[x]),
      [1, 1, 1],
    );
    t.is(
      batch.data.reduce((a, b) => a + b, 0),
      6,
    );
    t.deepEqual([...batch.labels], [0n, 19n, 7n]);

    const two = createShd(dir, { channels: 2 });
    t.deepEqual(two.sampleShape, [2, 1, 700]);
    const b2 = new BatchLoader(two, 'train', { batchSize: 1, shuffle: false, timesteps: 1 }).batch(0, 0);
    t.deepEqual(b2.shape, [1, 1, 2, 1, 700]);
    t.is(
      b2.data.subarray(0, 700).reduce((a, b) => a + b, 0),
      0,
    );
    t.deepEqual(
      [3, 699, 0].map((x) => b2.data[700 + x]),
      [1, 1, 1],
    );
  });
});

test('missing files: one DatasetFilesError listing both and the download page', (t) => {
  withDir((dir) => {
    writeFileSync(join(dir, 'shd_test.h5'), fixture('test'));
    const error = t.throws(() => createShd(dir), { instanceOf: DatasetFilesError });
    t.deepEqual(error.missing, ['shd_train.h5']);
    t.regex(error.message, /shd_train\.h5 {3}\(missing\)/);
    t.regex(error.message, /shd_test\.h5/);
    t.regex(error.message, /zenkelab\.org/);
    t.regex(error.message, /gunzip/);
  });
});

test('a file that is not HDF5 (still gzipped) is a FormatError naming it', (t) => {
  withDir((dir) => {
    writeDir(dir, Buffer.from(FIXTURES.train, 'base64'));
    const error = t.throws(() => createShd(dir), { instanceOf: FormatError });
    t.is(error.file, join(dir, 'shd_train.h5'));
    t.is(error.offset, 0);
    t.regex(error.message, /not an HDF5 file/);
    t.regex(error.message, /gunzip/);
  });
});

test('a missing dataset names the file and the HDF5 path', (t) => {
  withDir((dir) => {
    writeDir(dir);
    const path = join(dir, 'shd_test.h5');
    writeH5(path, (f) => {
      f.create_dataset({ name: 'labels', data: new Uint16Array([1, 2]) });
    });
    const error = t.throws(() => createShd(dir), { instanceOf: FormatError });
    t.is(error.file, path);
    t.is(error.path, 'spikes/times');
    t.regex(error.message, /missing/);
  });
});

test('spike times stored as a plain float array are a FormatError asking for variable-length arrays', (t) => {
  withDir((dir) => {
    writeDir(dir);
    const path = join(dir, 'shd_train.h5');
    writeH5(path, (f) => {
      const spikes = f.create_group('spikes');
      spikes.create_dataset({ name: 'times', data: new Float32Array([0.1, 0.2]) });
      spikes.create_dataset({ name: 'units', data: new Uint16Array([1, 2]) });
      f.create_dataset({ name: 'labels', data: new Uint16Array([1, 2]) });
    });
    const error = t.throws(() => new ShdFile(path), { instanceOf: FormatError });
    t.is(error.path, 'spikes/times');
    t.regex(error.message, /it holds float32/);
    t.regex(error.message, /variable-length arrays of float32 or float64/);
  });
});

test('labels not one per sample: FormatError at labels', (t) => {
  withDir((dir) => {
    writeDir(dir, 'count');
    const error = t.throws(() => createShd(dir), { instanceOf: FormatError });
    t.is(error.file, join(dir, 'shd_train.h5'));
    t.is(error.path, 'labels');
    t.regex(error.message, /3 entries, spikes\/times has 2/);
  });
});

test("a sample whose times and units differ in length: FormatError at that sample's units", (t) => {
  withDir((dir) => {
    writeDir(dir, 'mismatch');
    const train = createShd(dir).split('train');
    t.is(train.sample(0).t.length, 2);
    const error = t.throws(() => train.sample(1), { instanceOf: FormatError });
    t.is(error.file, join(dir, 'shd_train.h5'));
    t.is(error.path, 'spikes/units[1]');
    t.regex(error.message, /2 units but 1 times/);
  });
});

test('autosnn train --arch mlp on SHD, then estimate on its whole (one-sample) test split', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-shd-cli-'));
  const out = join(dir, 'run');
  try {
    writeDir(dir);
    const common = ['--data-dir', dir, '--json'];
    const trained = await autosnn([
      'train',
      '--arch',
      'mlp',
      '--dataset',
      'shd',
      '--width',
      '1',
      '--T',
      '4',
      '--epochs',
      '1',
      '--batch',
      '2',
      '--out',
      out,
      ...common,
    ]);
    t.like(JSON.parse(trained.stdout) as object, { model: 'mlp', dataset: 'shd', out, epochs: 1 });
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as Model;
    t.deepEqual(model.input, { shape: [1, 1, 700], encoding: 'events' });
    t.deepEqual(
      model.nodes.filter((n) => n.op === 'linear').map((n) => n.shape),
      [[16], [16], [200]],
    );
    const estimated = await autosnn(['estimate', '--model', out, '--target', 'cmos45', ...common]);
    t.like(JSON.parse(estimated.stdout) as object, { dataset: 'shd', samples: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('autosnn search on SHD searches the spiking-MLP space (no conv backbone takes 1×700), then retrains its winner', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-shd-search-'));
  const out = join(dir, 'search');
  try {
    writeDir(dir);
    const common = ['--data-dir', dir, '--json'];
    const searched = await autosnn([
      'search',
      '--dataset',
      'shd',
      '--width',
      '1',
      '--T',
      '4',
      '--supernet-epochs',
      '1',
      '--batch',
      '2',
      '--population',
      '4',
      '--generations',
      '2',
      '--out',
      out,
      ...common,
    ]);
    const record = JSON.parse(searched.stdout) as {
      config: { space: { kind: string; layers: number; widths: number[] } };
      best: { genome: string[] };
    };
    t.like(record.config.space, { kind: 'mlp', layers: 3, widths: [4, 8, 16] });
    t.true(record.best.genome.every((choice) => ['skip', '4', '8', '16'].includes(choice)));
    t.regex(readFileSync(join(out, 'search.html'), 'utf8'), /spiking MLP/);
    const retrained = await autosnn(['retrain', '--search', out, '--epochs', '1', ...common]);
    t.like(JSON.parse(retrained.stdout) as object, { out: join(out, 'best'), epochs: 1 });
    const model = JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')) as Model;
    const widths = record.best.genome.filter((c) => c !== 'skip').map(Number);
    t.deepEqual(
      model.nodes.filter((n) => n.op === 'linear').map((n) => n.shape),
      [...widths.map((w) => [w]), [200]],
    );
    const conv = await t.throwsAsync(
      autosnn(['search', '--dataset', 'shd', '--space', 'snn1', '--out', join(dir, 'x'), ...common]),
    );
    t.regex(
      (conv as unknown as { stderr: string }).stderr,
      /--space snn1: the conv backbones take .* shd gives 1×1×700/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
