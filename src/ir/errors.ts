/**
 * The one error every model-file reader throws: it says which file, where in it (a byte offset
 * for binary files, a JSON path for JSON files), what is wrong and what was expected, so a user
 * can find and fix the spot without a debugger.
 *
 *   weights.safetensors at byte 8: header is not valid JSON (expected a JSON object of 64 bytes)
 *   model.json: nodes[4].inputs[0]: unknown node 'conv9' (expected the name of an earlier node)
 */

export interface FormatErrorDetails {
  /** The file as the caller named it (a path, or a label such as '<buffer>'). */
  file: string;
  /** Byte offset in a binary file; undefined for JSON files and for whole-file problems. */
  offset?: number | undefined;
  /** JSON path inside a JSON file, e.g. `nodes[4].inputs[0]`; empty for the whole document. */
  path?: string | undefined;
  /** What is wrong, in words. */
  problem: string;
  /** What the reader expected there, in words. */
  expected: string;
}

export class FormatError extends Error {
  override readonly name = 'FormatError';
  readonly file: string;
  readonly offset: number | undefined;
  readonly path: string | undefined;
  readonly problem: string;
  readonly expected: string;

  constructor(details: FormatErrorDetails) {
    const where = details.offset === undefined ? details.file : `${details.file} at byte ${details.offset}`;
    const path = details.path ? `${details.path}: ` : '';
    super(`${where}: ${path}${details.problem} (expected ${details.expected})`);
    this.file = details.file;
    this.offset = details.offset;
    this.path = details.path;
    this.problem = details.problem;
    this.expected = details.expected;
  }
}

/** A value as error messages show it: strings in single quotes, JSON for the rest, cut short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number') return String(value); // JSON would show NaN and Infinity as null
  if (typeof value === 'bigint') return `${value}n`;
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
