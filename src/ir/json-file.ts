/**
 * Reading a JSON file the way every reader of the project should: a missing file, a folder where
 * a file was expected, or text that is not JSON each become one FormatError naming the file, the
 * byte offset of a syntax error, and what the caller expected the file to be. The caller then
 * checks the document's shape with its own validator.
 */
import { readFile } from 'node:fs/promises';
import { FormatError } from './errors.js';

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  ENOTDIR: 'a folder on its path is a file',
};

/** What went wrong reading a file, in words ("no such file", …), for an error naming it. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return FILE_PROBLEMS[code] ?? (error as Error).message;
}

/** `text` (from `file`) as JSON; a syntax error names its byte offset. */
export function parseJsonText(file: string, text: string, expected: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    const offset = position === undefined ? undefined : Buffer.byteLength(text.slice(0, Number(position)));
    // V8 words some errors with the text around them quoted ("Unexpected token 'k', "kind: …" is
    // not valid JSON"); the quote may span lines, and an error is one line, so it is dropped.
    const reason = message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/\s+/g, ' ');
    const problem = `not valid JSON: ${reason}`;
    throw new FormatError({ file, offset, problem, expected });
  }
}

/** Reads `file` and parses it as JSON; `expected` says what the file should be, for errors. */
export async function readJsonFile(file: string, expected: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FormatError({ file, problem: fileProblem(error), expected });
  }
  if (text.trim() === '') throw new FormatError({ file, problem: 'empty file', expected });
  return parseJsonText(file, text, expected);
}
