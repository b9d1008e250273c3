import test from 'ava';
import * as E from '../../src/engine/index.js';
import { predictions, rateLoss } from '../../src/snn/loss.js';

test('MSE on spike rates against one-hot labels, as the paper trains', (t) => {
  E.tidy(() => {
    // T = 4; two samples, three classes.
    const counts = E.tensor([
      [4, 1, 0],
      [2, 2, 3],
    ]);
    const labels = E.tensor([0, 2], { dtype: 'int64' });
    // rates [[1, .25, 0], [.5, .5, .75]]; targets [[1,0,0],[0,0,1]]
    const expected = (0 + 0.0625 + 0 + 0.25 + 0.25 + 0.0625) / 6;
    t.true(Math.abs(rateLoss('mse', counts, labels, 4).item() - expected) < 1e-7);
    t.deepEqual(predictions(counts).toNumbers(), [0, 2]);
  });
});

test('cross-entropy on spike rates', (t) => {
  E.tidy(() => {
    const counts = E.tensor([[8, 0]]);
    const labels = E.tensor([0], { dtype: 'int64' });
    // rates [1, 0]: −log(e¹ / (e¹ + e⁰))
    const expected = -Math.log(Math.E / (Math.E + 1));
    t.true(Math.abs(rateLoss('cross-entropy', counts, labels, 8).item() - expected) < 1e-6);
  });
});
