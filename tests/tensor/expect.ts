/** Small assertions shared by the op tests (no network: std/assert is not available). */

import { ShapeError } from "../../src/tensor/errors.ts";

/** Asserts `fn` throws a ShapeError whose message contains every one of `parts`. */
export function expectShapeError(fn: () => unknown, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ShapeError)) throw new Error(`expected a ShapeError, got ${e}`);
    for (const part of parts) {
      if (!e.message.includes(part)) {
        throw new Error(`ShapeError "${e.message}" does not mention "${part}"`);
      }
    }
    return;
  }
  throw new Error(`expected a ShapeError mentioning ${parts.join(", ")}; nothing was thrown`);
}
