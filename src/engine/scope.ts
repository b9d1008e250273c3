/**
 * Deterministic release of native memory. Every tensor created while a `tidy` scope runs is
 * recorded in it; when the scope ends, all of them are disposed except what the scope
 * returns and what was `keep`-ed. GPU memory therefore never waits on the JS collector
 * (the addon's own finalizer only catches handles that escaped every scope and were never
 * disposed).
 */

/** Anything that owns native memory and can give it back now. */
export interface Releasable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Set by `keep`: scopes never dispose it. */
  kept: boolean;
}

const scopes: Releasable[][] = [];

/** Called by every tensor constructor: records it in the innermost open scope. */
export function track(item: Releasable): void {
  const top = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  if (top) top.push(item);
}

/** Marks an item as outliving every scope it was created in; returns it. */
export function keep<R extends Releasable>(item: R): R {
  item.kept = true;
  return item;
}

function isReleasable(value: unknown): value is Releasable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Releasable).dispose === 'function' &&
    'kept' in value
  );
}

/** Finds the releasables a scope's result holds: itself, or inside arrays, maps and plain objects. */
function collectResults(value: unknown, into: Set<Releasable>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isReleasable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectResults(item, into, depth + 1);
  } else if (value instanceof Map) {
    for (const item of value.values()) collectResults(item, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectResults(item, into, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (which move to the
 * enclosing scope, if any) and those marked with `keep`. `fn` must be synchronous: a scope
 * cannot follow an `await`.
 */
export function tidy<R>(fn: () => R): R {
  const created: Releasable[] = [];
  scopes.push(created);
  let result: R;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const item of created) if (!item.kept) item.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const item of created) if (!item.kept) item.dispose();
    throw new TypeError('tidy(fn): fn returned a Promise; scopes are synchronous (await outside tidy)');
  }
  const returned = new Set<Releasable>();
  collectResults(result, returned);
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  for (const item of created) {
    if (returned.has(item)) {
      if (parent) parent.push(item);
    } else if (!item.kept) {
      item.dispose();
    }
  }
  return result;
}

/** Disposes every releasable found in `value` (a tensor, or arrays/objects of them). */
export function dispose(value: unknown): void {
  const found = new Set<Releasable>();
  collectResults(value, found);
  for (const item of found) item.dispose();
}

/** How many scopes are open (tests use it to check scopes unwind). */
export function scopeDepth(): number {
  return scopes.length;
}
