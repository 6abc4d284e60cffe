/** Float64 references of the reductions (the oracle for kernels/reduce*.wgsl). */

type Ref = (inputs: Float64Array[]) => Float64Array;

/** Splits a shape around `axis` into [outer, len, inner]. */
function around(shape: number[], axis: number): [number, number, number] {
  const a = axis < 0 ? axis + shape.length : axis;
  const prod = (d: number[]) => d.reduce((p, x) => p * x, 1);
  return [prod(shape.slice(0, a)), shape[a], prod(shape.slice(a + 1))];
}

/** Reduces over `axis` with `f` applied to the list of values along it. */
function alongAxis(shape: number[], axis: number, f: (vals: number[]) => number): Ref {
  const [outer, len, inner] = around(shape, axis);
  return ([x]) => {
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const vals = [];
        for (let l = 0; l < len; l++) vals.push(x[(o * len + l) * inner + i]);
        out[o * inner + i] = f(vals);
      }
    }
    return out;
  };
}

/** Σ over `axis`. */
export function sumRef(shape: number[], axis: number): Ref {
  return alongAxis(shape, axis, (v) => v.reduce((s, x) => s + x, 0));
}

/** Mean over `axis`. */
export function meanRef(shape: number[], axis: number): Ref {
  return alongAxis(shape, axis, (v) => v.reduce((s, x) => s + x, 0) / v.length);
}

/** Max over `axis` (the value; the tie rule only matters for the gradient). */
export function maxRef(shape: number[], axis: number): Ref {
  return alongAxis(shape, axis, (v) => Math.max(...v));
}

/** Position of the first maximal element along `axis`. */
export function argmaxRef(shape: number[], axis: number): Ref {
  return alongAxis(shape, axis, (v) => v.indexOf(Math.max(...v)));
}

/** Σ of everything, and the mean. */
export const sumAllRef: Ref = ([x]) => Float64Array.of(x.reduce((s, v) => s + v, 0));
export const meanAllRef: Ref = ([x]) => Float64Array.of(x.reduce((s, v) => s + v, 0) / x.length);
