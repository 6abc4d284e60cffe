/** Exact-equality assertion for the indexing/loss tests (std/assert needs the network). */

/** Throws unless `actual` and `expected` serialise to the same JSON. */
export function assertEq(actual: unknown, expected: unknown, label = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${label}: got ${a.slice(0, 300)}, expected ${e.slice(0, 300)}`);
}
