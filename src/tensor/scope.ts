/**
 * Memory released by scope: every tensor created inside `tidy(fn)` is disposed when `fn`
 * returns, except the tensors it returns and those marked with `keep`. User code never
 * frees by hand.
 * @module
 */

/** What a scope needs to know of a tensor. */
export interface Disposable {
  /** Releases the resource. */
  dispose(): void;
  /** Whether it has been released. */
  readonly disposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Registers a newly created tensor with the innermost scope (if any). */
export function track(t: Disposable): void {
  scopes.at(-1)?.add(t);
}

/** Removes a tensor from every scope, so it lives until disposed explicitly. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if ("dispose" in value && "disposed" in value) {
    out.add(value as Disposable);
    return;
  }
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) collect(item, out, depth + 1);
}

function close<T>(scope: Set<Disposable>, result: T): T {
  scopes.pop();
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  for (const t of scope) {
    if (!survivors.has(t)) t.dispose();
  }
  const parent = scopes.at(-1);
  if (parent) { for (const t of survivors) if (scope.has(t)) parent.add(t); }
  return result;
}

/**
 * Runs `fn` in a new memory scope. Tensors returned (directly, or inside arrays and plain
 * objects) move to the enclosing scope; all others created inside are disposed. An async
 * `fn` is supported as long as scopes are not interleaved by concurrent tasks.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    close(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => close(scope, r),
      (e) => {
        close(scope, undefined);
        throw e;
      },
    ) as T;
  }
  return close(scope, result);
}
