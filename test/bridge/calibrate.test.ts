/**
 * Calibration on the emulated Cortex-M3 (QEMU -icount): the probe set runs on the board, the one
 * fitter fits joules per operation, and the fit must predict workloads it was not fitted on — each
 * probe left out in turn, and the fixture model — within ±10 %. Also: the host port, which has no
 * clock, is refused rather than "calibrated" against its own cycle model.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadModel } from '../../src/ir/model-files.js';
import { modelSamples } from '../../src/cli/samples.js';
import { exportFirmware } from '../../export/firmware/index.js';
import { openBoard } from '../../firmware-bridge/host/open.js';
import { calibrateOnBoard } from '../../firmware-bridge/host/calibrate.js';
import { runOnBoard } from '../../firmware-bridge/host/deploy.js';
import { energyPerInference } from '../../targets/energy.js';
import { cortexM } from '../../targets/cortex-m.js';
import { profileFromFit, validateCalibrationProfile } from '../../targets/calibration.js';

const run = promisify(execFile);

test.serial('calibrate on QEMU: each held-out probe and the fixture model predicted within ±10%', async (t) => {
  const session = await openBoard({ kind: 'qemu' });
  let calibration: Awaited<ReturnType<typeof calibrateOnBoard>>;
  let fixture: Awaited<ReturnType<typeof runOnBoard>>;
  const bundle = await loadModel('fixtures/mnist-small');
  try {
    calibration = await calibrateOnBoard(session.board);
    const exported = exportFirmware(bundle);
    const samples = modelSamples(bundle.model, 4);
    await session.board.loadModel(exported.bytes);
    fixture = await runOnBoard(session.board, bundle.model, exported.image, samples.data, samples.labels);
  } finally {
    await session.close();
  }
  t.is(calibration.basis, 'measured cycles');
  t.deepEqual(calibration.countMismatches, []);
  const predicted = calibration.holdOut.filter((h) => h.relativeError !== null);
  t.true(predicted.length >= calibration.holdOut.length - 2, JSON.stringify(calibration.holdOut));
  for (const h of predicted) {
    t.log(
      `${h.probe}: measured ${h.measured.toExponential(3)} J, left-out fit ${h.predicted!.toExponential(3)} J, ${(h.relativeError! * 100).toFixed(2)}%`,
    );
    t.true(Math.abs(h.relativeError!) <= 0.1, `${h.probe}: ${(h.relativeError! * 100).toFixed(2)}%`);
  }
  const profile = profileFromFit('cortex-m', calibration.fit, { probes: 'generated', measurements: 'QEMU' });
  const estimate = energyPerInference(bundle.model, fixture.activity, cortexM, profile);
  const measured = fixture.energy.joulesPerInference;
  t.is(fixture.energy.basis, 'measured cycles');
  t.true(fixture.countersEqual);
  const error = (estimate.perInference! - measured) / measured;
  t.log(
    `fixture: measured ${measured.toExponential(3)} J, calibrated model ${estimate.perInference!.toExponential(3)} J, ${(error * 100).toFixed(2)}%`,
  );
  t.true(Math.abs(error) <= 0.1, `fixture model predicted ${(error * 100).toFixed(2)}% off`);
});

test.serial('calibrate --qemu writes a profile; --emulator is refused: the host port has no clock', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-calibrate-'));
  const out = path.join(dir, 'profile.json');
  const { stdout } = await run('node', ['bin/autosnn.js', 'calibrate', '--qemu', '--target', 'cortex-m', '--out', out]);
  t.regex(stdout, /leave one out/);
  const profile = validateCalibrationProfile(JSON.parse(await readFile(out, 'utf8')), out);
  t.is(profile.target, 'cortex-m');
  t.true((profile.perOp.synopAc?.value ?? 0) > 0);
  t.regex(profile.provenance.notes ?? '', /measured cycles/);
  const refused = await run('node', [
    'bin/autosnn.js',
    'calibrate',
    '--emulator',
    '--target',
    'cortex-m',
    '--out',
    out,
  ]).then(
    () => null,
    (error: { code: number; stderr: string }) => error,
  );
  t.truthy(refused);
  t.is(refused!.code, 1);
  t.regex(refused!.stderr, /neither a power sensor nor a cycle counter/);
});
