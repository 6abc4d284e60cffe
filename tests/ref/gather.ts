/** Float64 references of the gathers (the oracle for kernels/gather.wgsl, scatter_rows.wgsl). */

/** numpy take along `axis` of x (shape `shape`) by idx; out-of-range indices give 0. */
export function gatherRef(shape: number[], axis: number) {
  return ([x, idx]: Float64Array[]): Float64Array => {
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const rows = shape[axis];
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Float64Array(outer * idx.length * inner);
    for (let a = 0; a < outer; a++) {
      for (let m = 0; m < idx.length; m++) {
        const r = idx[m];
        if (r < 0 || r >= rows) continue;
        for (let b = 0; b < inner; b++) {
          out[(a * idx.length + m) * inner + b] = x[(a * rows + r) * inner + b];
        }
      }
    }
    return out;
  };
}

/** The scatter-add a gather's backward must produce: gx[r, :] = Σ g[m, :] over ids[m] = r. */
export function scatterAddRef(
  g: ArrayLike<number>,
  ids: ArrayLike<number>,
  rows: number,
  inner: number,
): Float64Array {
  const out = new Float64Array(rows * inner);
  for (let m = 0; m < ids.length; m++) {
    const r = ids[m];
    if (r < 0 || r >= rows) continue;
    for (let b = 0; b < inner; b++) out[r * inner + b] += g[m * inner + b];
  }
  return out;
}
