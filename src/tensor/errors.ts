/** Errors raised by tensor operations. @module */

/** A shape mismatch: names the op and every shape involved. */
export class ShapeError extends Error {
  /** `op` names the operation; `shapes` are listed in the message. */
  constructor(op: string, detail: string, ...shapes: readonly number[][]) {
    const listed = shapes.map((s) => `[${s.join(", ")}]`).join(" and ");
    super(`${op}: ${detail}${listed ? ` (shapes ${listed})` : ""}`);
    this.name = "ShapeError";
  }
}
