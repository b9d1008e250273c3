/**
 * The supernet's weight sharing: the conv space keys a searched position's tensors by its
 * operation; the MLP space keeps one matrix per (position, source) at the widest choice, and a
 * narrower candidate runs on its scaled leading corner, which training updates in place.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';
import { Supernet, supernetKey } from '../../src/search/supernet.js';
import { neuronOf, type MlpSearchSpace } from '../../src/search/space.js';

const mlp: MlpSearchSpace = {
  kind: 'mlp',
  layers: 3,
  widths: [4, 8],
  timesteps: 2,
  input: { shape: [1, 1, 12], encoding: 'direct' },
  classes: 2,
  neuron: neuronOf('plif'),
};

test('conv keys splice the operation in; MLP keys name the position and its source', (t) => {
  t.is(supernetKey('op3.1.conv.weight', ['a', 'b', 'c', 'SRB_k5', 'e']), 'op3[SRB_k5].1.conv.weight');
  t.is(supernetKey('stem.conv.weight', ['a', 'b', 'c', 'd', 'e']), 'stem.conv.weight');
  const genome = ['4', 'skip', '8'];
  t.is(supernetKey('fc1.linear.weight', genome, mlp), 'h0<in.linear.weight');
  t.is(supernetKey('fc2.linear.weight', genome, mlp), 'h2<h0.linear.weight');
  t.is(supernetKey('fc2.neuron.w', genome, mlp), 'h2.neuron.w');
  t.is(supernetKey('classifier.linear.weight', genome, mlp), 'classifier<h2.linear.weight');
  t.is(supernetKey('classifier.linear.weight', ['skip', 'skip', 'skip'], mlp), 'classifier<in.linear.weight');
});

test('the MLP supernet: one tensor per (position, source) at the widest choice; a narrow candidate sees its scaled corner', (t) => {
  E.manualSeed(0);
  const supernet = new Supernet(mlp);
  try {
    // Linear: h0<in, h1<in, h1<h0, h2<in, h2<h0, h2<h1 and the classifier from in, h0, h1, h2;
    // PLIF weights: h0, h1, h2 and the classifier's.
    t.is(supernet.tensorCount, 14);
    const candidate = supernet.candidate(['8', 'skip', '4']);
    try {
      const named = new Map(candidate.network.namedTensors());
      const full = supernet.candidate(['8', 'skip', '8']);
      try {
        const wide = new Map(full.network.namedTensors());
        const shared = wide.get('fc2.linear.weight')!; // h2<h0 at [8, 8]: no corner, the shared tensor itself
        t.deepEqual(shared.shape, [8, 8]);
        const narrow = named.get('fc2.linear.weight')!;
        t.deepEqual(narrow.shape, [4, 8], 'rows narrowed to width 4; the source is the widest, so no scale');
        t.deepEqual(narrow.toNumbers(), shared.toNumbers().slice(0, 4 * 8));
        // The classifier reads 4 of h2's 8 neurons: its corner is scaled by √(8 / 4).
        const classifier = wide.get('classifier.linear.weight')!;
        const expected = E.tidy(() => classifier.narrow(1, 0, 4).mul(Math.SQRT2).toNumbers());
        t.deepEqual(named.get('classifier.linear.weight')!.toNumbers(), expected);
      } finally {
        full.dispose();
      }
    } finally {
      candidate.dispose();
    }
  } finally {
    supernet.dispose();
  }
});

test('a training step of a narrow MLP candidate updates the corner it used and nothing else', (t) => {
  E.manualSeed(1);
  const supernet = new Supernet(mlp);
  const optimizer = new E.Adam(supernet.parameters(), { lr: 1e-2 });
  try {
    const before = supernet.parameters().map((p) => p.toNumbers());
    const x = E.keep(E.rand([6, 1, 1, 12]).mul(3));
    const y = E.keep(E.tensor(new BigInt64Array([0n, 1n, 0n, 1n, 0n, 1n]), { shape: [6] }));
    supernet.trainStep(['4', 'skip', 'skip'], x, y, optimizer);
    E.dispose([x, y]);
    const candidate = supernet.candidate(['8', 'skip', 'skip']);
    const h0 = new Map(candidate.network.namedTensors()).get('fc1.linear.weight')!.toNumbers(); // [8, 12]
    candidate.dispose();
    // The first [8, 12] tensor is h0<in (the owners start with position 0); h1<in and h2<in follow.
    const index = supernet.parameters().findIndex((p) => p.shape.length === 2 && p.shape[0] === 8 && p.shape[1] === 12);
    const old = before[index]!;
    t.notDeepEqual(h0.slice(0, 4 * 12), old.slice(0, 4 * 12), 'the first 4 rows moved');
    t.deepEqual(h0.slice(4 * 12), old.slice(4 * 12), 'rows 4…7 (not in the width-4 candidate) did not');
  } finally {
    optimizer.dispose();
    supernet.dispose();
  }
});

test('an MLP supernet saves and loads every shared tensor', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'supernet-mlp-'));
  try {
    E.manualSeed(2);
    const a = new Supernet(mlp);
    const optA = new E.Adam(a.parameters(), { lr: 1e-3 });
    await a.save(dir, optA);
    E.manualSeed(3);
    const b = new Supernet(mlp);
    const optB = new E.Adam(b.parameters(), { lr: 1e-3 });
    t.notDeepEqual(
      b.parameters().map((p) => p.toNumbers()),
      a.parameters().map((p) => p.toNumbers()),
    );
    await b.load(dir, optB);
    t.deepEqual(
      b.parameters().map((p) => p.toNumbers()),
      a.parameters().map((p) => p.toNumbers()),
    );
    for (const [s, o] of [
      [a, optA],
      [b, optB],
    ] as const) {
      o.dispose();
      s.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
