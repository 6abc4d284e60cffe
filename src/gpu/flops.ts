/**
 * Counts the floating-point operations every dispatch declares, so the compute a stage
 * spent is measured rather than estimated.
 * @module
 */

let total = 0;
let dispatches = 0;

/** Adds one dispatch's FLOPs to the running count. */
export function countDispatch(flops: number): void {
  total += flops;
  dispatches += 1;
}

/** FLOPs and dispatches recorded since the process started. */
export function flopCount(): { flops: number; dispatches: number } {
  return { flops: total, dispatches };
}

/** Runs `fn` and returns its result with the FLOPs and dispatches it recorded. */
export function measureFlops<T>(fn: () => T): { result: T; flops: number; dispatches: number } {
  const f0 = total;
  const d0 = dispatches;
  const result = fn();
  return { result, flops: total - f0, dispatches: dispatches - d0 };
}
