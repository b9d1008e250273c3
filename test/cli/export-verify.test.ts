/** `export --verify`'s accuracy checks: when a sample count is too coarse for --max-drop, it says so. */
import test from 'ava';
import { sampleSizeHint } from '../../src/cli/commands/export.js';

test('a failed check on samples coarser than the allowed drop says how many samples would do', (t) => {
  t.deepEqual(sampleSizeHint(false, 64, 0.01), [
    "  on 64 samples one sample is 1.56 points, more than the 1.00 allowed: check on more (--samples 500 allows five samples' difference)",
  ]);
  t.deepEqual(sampleSizeHint(true, 64, 0.01), [], 'a passed check needs no hint');
  t.deepEqual(sampleSizeHint(false, 500, 0.01), [], 'on 500 samples the failure is the quantisation');
  t.deepEqual(sampleSizeHint(false, 16, Infinity), [], 'no limit, no hint');
  t.is(sampleSizeHint(false, 10, 0.05)[0]!.includes('--samples 100 '), true);
});
