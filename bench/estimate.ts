/**
 * `npm run bench -- estimate`: what `autosnn estimate --target all --samples 256` does on the
 * fixture model (fixtures/mnist-small, `make fixtures`): activity on 256 real test samples, then
 * energy and fit on every chip, and the HTML report. Goal: under 30 s on a 2-core CPU.
 */
import { loadModel } from '../src/ir/model-files.js';
import { getDataset } from '../src/data/index.js';
import { measureActivity } from '../src/snn/measure.js';
import { applyRewrites } from '../src/ir/passes/index.js';
import { TARGETS, energyPerInference } from '../targets/index.js';
import { renderEnergyReport } from '../src/report/energy-report.js';
import { printTable, type Row } from './timing.js';

export async function benchEstimate(): Promise<unknown> {
  const started = performance.now();
  const bundle = await loadModel('fixtures/mnist-small');
  const measured = measureActivity(bundle, getDataset('mnist'), { samples: 256 });
  const activitySeconds = (performance.now() - started) / 1000;
  const targets = Object.values(TARGETS);
  const energyStart = performance.now();
  const estimates = targets.map((t) => energyPerInference(bundle.model, measured.activity, t));
  const fits = targets.map((t) => {
    const rewritten = applyRewrites(bundle.model, bundle.weights, t.rewrites);
    return t.fit(rewritten.model, rewritten.weights);
  });
  const page = renderEnergyReport({
    model: bundle.model,
    activity: measured.activity,
    estimates,
    fits,
    targets,
    samples: measured.samples,
    generatedAt: new Date(),
  });
  const energySeconds = (performance.now() - energyStart) / 1000;
  const total = (performance.now() - started) / 1000;
  const rows: Row[] = [
    { name: 'activity on 256 mnist test samples (engine + counter)', value: activitySeconds, unit: 's' },
    { name: `energy + fit on ${targets.length} chips + HTML report`, value: energySeconds, unit: 's' },
    { name: 'estimate --target all --samples 256, total', value: total, unit: 's', goal: '< 30 s' },
  ];
  printTable('estimate (fixtures/mnist-small)', rows);
  return { activitySeconds, energySeconds, totalSeconds: total, targets: targets.length, reportBytes: page.length };
}
