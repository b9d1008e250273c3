/**
 * Usage errors worded for the command at hand. node:util's parseArgs reports problems in its
 * own words ("Unknown option '--chip'. To specify a positional argument starting with a '-',
 * place it at the end of the command after '--'…"), which point a user who mistyped an option
 * at the wrong fix. These say which command, what it takes, and the nearest name when there is
 * one.
 */
import { UsageError } from './args.js';
import { COMMON_OPTIONS, type CommandSpec } from './command.js';

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two words. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `word`, when it is near enough to be a slip of the keyboard (the same
 * letters in another case, or for words of three letters or more, at most a third of the
 * letters, and at least one, differ) and no other candidate is as near.
 */
export function nearest(word: string, candidates: readonly string[]): string | null {
  const sameLetters = candidates.find((c) => c.toLowerCase() === word.toLowerCase());
  if (sameLetters !== undefined) return sameLetters; // --t for --T
  if (word.length < 3) return null; // one or two letters are too short to guess from
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  let tied = false;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tied = false;
    } else if (distance === bestDistance) {
      tied = true;
    }
  }
  return best !== null && bestDistance <= limit && !tied ? best : null;
}

const didYouMean = (name: string | null, prefix = ''): string => (name ? `; did you mean ${prefix}${name}?` : '');

export function unknownCommand(command: string, commands: readonly string[]): UsageError {
  return new UsageError(`unknown command '${command}'${didYouMean(nearest(command, commands))} (see autosnn --help)`);
}

function optionNames(spec: CommandSpec): string[] {
  return Object.keys({ ...spec.options, ...COMMON_OPTIONS });
}

/** A parseArgs error of `spec`'s arguments in the command's own words; other errors unchanged. */
export function commandUsageError(spec: CommandSpec, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const help = `see autosnn ${spec.name} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'(-[^']*)'/.exec(message)?.[1] ?? '?';
    const bare = option.replace(/^-+/, '').replace(/=.*$/, '');
    const near = nearest(bare, optionNames(spec));
    return new UsageError(`${spec.name}: unknown option '${option}'${didYouMean(near, '--')} (${help})`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--?[\w-]+)/.exec(message)?.[1] ?? 'an option';
    const declared = spec.options[option.replace(/^-+/, '')] ?? COMMON_OPTIONS[option.replace(/^-+/, '')];
    if (declared?.type === 'boolean') return new UsageError(`${spec.name}: ${option} is a switch and takes no value`);
    if (/ambiguous/.test(message)) {
      return new UsageError(
        `${spec.name}: ${option} is followed by an option, not its ${declared?.value ?? 'value'}` +
          ` (a value that starts with '-' is written ${option}=-…)`,
      );
    }
    return new UsageError(`${spec.name}: ${option} needs a value${declared?.value ? ` (${declared.value})` : ''}`);
  }
  return error;
}

/** An argument where `spec` takes none, or more of them than it takes. */
export function unexpectedArgument(spec: CommandSpec, argument: string, takesAny: boolean): UsageError {
  // The usual slip: a model path given bare to a command that takes it as --model.
  const hint =
    !takesAny && 'model' in spec.options
      ? `; the model is given as --model ${argument}`
      : takesAny
        ? `; it takes ${spec.positionals ?? 'fewer arguments'}`
        : '; it takes only options';
  return new UsageError(`${spec.name}: unexpected argument '${argument}'${hint} (see autosnn ${spec.name} --help)`);
}
