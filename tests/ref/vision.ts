/** Float64 references of patchify, masked pooling and padding masks. */

/** images [B, H, W, C] → [B, (H/p)(W/p), p·p·C], feature = (i·p + j)·C + c. */
export function patchifyRef(shape: number[], p: number) {
  return ([x]: Float64Array[]): Float64Array => {
    const [b, h, w, c] = shape;
    const out = new Float64Array(x.length);
    let k = 0;
    for (let n = 0; n < b; n++) {
      for (let ph = 0; ph < h / p; ph++) {
        for (let pw = 0; pw < w / p; pw++) {
          for (let i = 0; i < p; i++) {
            for (let j = 0; j < p; j++) {
              for (let ch = 0; ch < c; ch++) {
                out[k++] = x[((n * h + ph * p + i) * w + pw * p + j) * c + ch];
              }
            }
          }
        }
      }
    }
    return out;
  };
}

/** Σ_t m·x (÷ Σ_t m for a mean, 0 when it is 0) of x [B, T, D]; no mask = all ones. */
export function poolRef(shape: number[], mean: boolean) {
  return ([x, mask]: Float64Array[]): Float64Array => {
    const [b, t, d] = shape;
    const out = new Float64Array(b * d);
    for (let n = 0; n < b; n++) {
      let weight = 0;
      for (let s = 0; s < t; s++) {
        const m = mask ? mask[n * t + s] : 1;
        weight += m;
        for (let k = 0; k < d; k++) out[n * d + k] += m * x[(n * t + s) * d + k];
      }
      const scale = mean ? (weight !== 0 ? 1 / weight : 0) : 1;
      for (let k = 0; k < d; k++) out[n * d + k] *= scale;
    }
    return out;
  };
}
