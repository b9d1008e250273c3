/**
 * The `dvs-gesture` dataset: DVS128 Gesture (Amir et al., "A Low Power, Fully Event-Based Gesture
 * Recognition System", CVPR 2017), 11 hand and arm gestures by 29 subjects under 5 lighting
 * conditions, recorded with a DVS128 (128×128). Published at
 * https://research.ibm.com/interactive/dvsgesture/ (DvsGesture.tar.gz).
 *
 * Layout under the data directory (the archive's folder; the data directory may also be that
 * folder itself):
 *   DvsGesture/trials_to_train.txt, DvsGesture/trials_to_test.txt  (one userXX_lighting.aedat a line)
 *   DvsGesture/userXX_lighting.aedat          (AEDAT 3.1, see ./aedat.ts)
 *   DvsGesture/userXX_lighting_labels.csv     (header class,startTime_usec,endTime_usec; class 1..11)
 *
 * Samples, as SpikingJelly's DVS128Gesture cuts them (1176 train, 288 test): every labelled
 * interval of every recording listed for the split, in list and csv order, is one sample of
 * label class − 1 (0..10), holding the recording's events with startTime ≤ t < endTime,
 * timestamps rebased to startTime (durationUs = endTime − startTime). Intervals are taken as
 * written (a few overlap in the published csv files). A recording's events are stably sorted by
 * time once when decoded (AEDAT 3.1 writers emit them in order; this only guards the windows).
 *
 * Memory: the csv files are read when a split is first asked for; a recording's events are
 * decoded when one of its samples is asked for and kept in a small cache of the most recently
 * used recordings (default 2: a pass in split order decodes each recording once).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../ir/errors.js';
import { DVS128_SIZE, readAedat31Polarity } from './aedat.js';
import type { AugmentOptions } from './augment.js';
import { checkIndex, lazySplits, type EventDataset, type Split } from './dataset.js';
import type { EventStream } from './events.js';
import { DatasetFilesError, requireFile, type DatasetLayout } from './files.js';
import { RecordingCache, sortByTime, windowEvents, type EventArrays } from './recordings.js';

export const DVS_GESTURE_FOLDER = 'DvsGesture';

export const DVS_GESTURE_LAYOUT: DatasetLayout = {
  dataset: 'dvs-gesture',
  url: 'https://research.ibm.com/interactive/dvsgesture/',
  download: 'DvsGesture.tar.gz',
  place: 'unpack it into the data dir (it makes DvsGesture/)',
  expected: [
    'DvsGesture/trials_to_train.txt   (from DvsGesture.tar.gz; one userXX_lighting.aedat per line)',
    'DvsGesture/trials_to_test.txt',
    'DvsGesture/userXX_lighting.aedat          (AEDAT 3.1 recordings)',
    'DvsGesture/userXX_lighting_labels.csv     (class,startTime_usec,endTime_usec)',
  ],
};

/** The 11 classes in label order (the dataset's gesture_mapping.csv, classes 1..11). */
export const DVS_GESTURE_CLASSES: readonly string[] = [
  'hand_clapping',
  'right_hand_wave',
  'left_hand_wave',
  'right_arm_clockwise',
  'right_arm_counter_clockwise',
  'left_arm_clockwise',
  'left_arm_counter_clockwise',
  'arm_roll',
  'air_drums',
  'air_guitar',
  'other_gestures',
];

/** One labelled interval of a recording: label 0..10, [startUs, endUs). */
export interface GestureInterval {
  label: number;
  startUs: number;
  endUs: number;
}

/** Parses a userXX_lighting_labels.csv text; `file` names it in errors. */
export function parseGestureLabels(text: string, file: string): GestureInterval[] {
  const lines = text.split(/\r?\n/);
  const fields = (line: string) => line.trim().split(/\s*[,\t]\s*/);
  const header = fields(lines[0] ?? '');
  if (header.join(',') !== 'class,startTime_usec,endTime_usec') {
    throw new FormatError({
      file,
      problem: `line 1 is '${(lines[0] ?? '').trim().slice(0, 60)}'`,
      expected: "the header 'class,startTime_usec,endTime_usec'",
    });
  }
  const out: GestureInterval[] = [];
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '') continue;
    const values = fields(line).map((v) => (/^\d+$/.test(v) ? Number(v) : NaN));
    const [cls, start, end] = values;
    if (values.length !== 3 || !values.every(Number.isSafeInteger)) {
      throw new FormatError({
        file,
        problem: `line ${l + 1} is '${line.slice(0, 60)}'`,
        expected: 'three non-negative integers: class, startTime_usec, endTime_usec',
      });
    }
    if (cls! < 1 || cls! > DVS_GESTURE_CLASSES.length) {
      throw new FormatError({ file, problem: `line ${l + 1} has class ${cls}`, expected: 'a class in 1..11' });
    }
    if (end! <= start!) {
      throw new FormatError({
        file,
        problem: `line ${l + 1} ends (${end}) at or before it starts (${start})`,
        expected: 'startTime_usec < endTime_usec',
      });
    }
    out.push({ label: cls! - 1, startUs: start!, endUs: end! });
  }
  return out;
}

export interface DvsGestureOptions {
  /** Overrides of the augmentation (default: shift by up to 16 px, no flip — flipping swaps left and right gestures). */
  augmentation?: Partial<AugmentOptions>;
  /** Decoded recordings kept in memory (default 2). */
  cacheRecordings?: number;
}

interface SampleRef {
  recording: string;
  interval: GestureInterval;
}

/** The folder holding trials_to_train.txt: dataDir/DvsGesture, or dataDir itself. */
function gestureRoot(dataDir: string): string {
  const nested = join(dataDir, DVS_GESTURE_FOLDER);
  if (existsSync(join(nested, 'trials_to_train.txt')) || !existsSync(join(dataDir, 'trials_to_train.txt'))) {
    requireFile(DVS_GESTURE_LAYOUT, dataDir, `${DVS_GESTURE_FOLDER}/trials_to_train.txt`);
    requireFile(DVS_GESTURE_LAYOUT, dataDir, `${DVS_GESTURE_FOLDER}/trials_to_test.txt`);
    return nested;
  }
  requireFile(DVS_GESTURE_LAYOUT, dataDir, 'trials_to_test.txt');
  return dataDir;
}

/** The DVS128 Gesture recordings under `dataDir` (see the module comment for the layout). */
export function createDvsGesture(dataDir: string, options: DvsGestureOptions = {}): EventDataset {
  const root = gestureRoot(dataDir);
  const rel = root === dataDir ? '' : `${DVS_GESTURE_FOLDER}/`;
  // decoded recordings, time-sorted once (a no-op for the published files) so windows are binary searches
  const cache = new RecordingCache<EventArrays>(options.cacheRecordings ?? 2, (recording) =>
    sortByTime(readAedat31Polarity(join(root, recording), { width: DVS128_SIZE, height: DVS128_SIZE })),
  );
  const split = lazySplits('dvs-gesture', (name): Split<EventStream> => {
    const list = `trials_to_${name}.txt`;
    const recordings = readFileSync(join(root, list), 'latin1')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const refs: SampleRef[] = [];
    for (const recording of recordings) {
      if (!recording.endsWith('.aedat')) {
        throw new FormatError({
          file: join(root, list),
          problem: `lists '${recording.slice(0, 60)}'`,
          expected: 'one userXX_lighting.aedat file name a line',
        });
      }
      requireFile(DVS_GESTURE_LAYOUT, dataDir, `${rel}${recording}`);
      const csv = `${recording.slice(0, -'.aedat'.length)}_labels.csv`;
      const path = requireFile(DVS_GESTURE_LAYOUT, dataDir, `${rel}${csv}`);
      for (const interval of parseGestureLabels(readFileSync(path, 'latin1'), path)) {
        refs.push({ recording, interval });
      }
    }
    if (refs.length === 0) {
      throw new DatasetFilesError(DVS_GESTURE_LAYOUT, dataDir, [`a labelled recording listed in ${rel}${list}`]);
    }
    return {
      length: refs.length,
      label: (i) => refs[checkIndex(i, refs.length)]!.interval.label,
      sample: (i) => {
        const { recording, interval } = refs[checkIndex(i, refs.length)]!;
        return windowEvents(cache.get(recording), interval.startUs, interval.endUs, DVS128_SIZE, DVS128_SIZE);
      },
    };
  });
  return {
    name: 'dvs-gesture',
    kind: 'events',
    classes: DVS_GESTURE_CLASSES.length,
    sampleShape: [2, DVS128_SIZE, DVS128_SIZE],
    augmentation: { cropPadding: 16, flip: false, ...options.augmentation },
    split,
  };
}
