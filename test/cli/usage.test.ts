import test from 'ava';
import { editDistance, nearest } from '../../src/cli/usage.js';

test('editDistance counts insertions, deletions, substitutions and adjacent swaps', (t) => {
  t.is(editDistance('', ''), 0);
  t.is(editDistance('epochs', 'epochs'), 0);
  t.is(editDistance('epoch', 'epochs'), 1);
  t.is(editDistance('verfy', 'verify'), 1);
  t.is(editDistance('trian', 'train'), 1, 'a swap is one edit');
  t.is(editDistance('kitten', 'sitting'), 3);
  t.is(editDistance('abc', ''), 3);
});

test('nearest suggests only a near, unambiguous name', (t) => {
  const options = ['model', 'format', 'out', 'verify', 'samples', 'json', 'help'];
  t.is(nearest('verfy', options), 'verify');
  t.is(nearest('sample', options), 'samples');
  t.is(nearest('chip', options), null, 'nothing near');
  t.is(nearest('t', ['T', 'json']), 'T', 'the same letters in another case');
  t.is(nearest('x', ['T', 'xy']), null, 'too short to guess from');
  t.is(nearest('epoc', ['epochs', 'epoch2']), null, 'a tie is no suggestion');
  t.is(nearest('jsn', ['json', 'help']), 'json');
});
