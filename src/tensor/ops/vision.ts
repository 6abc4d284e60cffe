/**
 * Vision and pooling ops: `patchify` (image → patch tokens for the ViT) and masked
 * `meanPool` / `sumPool` over the token axis.
 * @module
 */

import maskedPoolWgsl from "../../../kernels/masked_pool.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { permute, reshape } from "./shape_ops.ts";
import { grid2d } from "./grid.ts";

/**
 * Cuts images [B, H, W, C] into non-overlapping p×p patches → [B, (H/p)·(W/p), p·p·C].
 * Patches are numbered row-major over the patch grid (patch index = ph·(W/p) + pw); inside a
 * patch the features are ordered (row i, column j, channel c) with the channel fastest:
 * feature = (i·p + j)·C + c. One permute copy; the gradient is the inverse permute.
 */
export function patchify(images: Tensor, patch: number): Tensor {
  const [b, h, w, c] = images.shape;
  const ok = images.rank === 4 && images.dtype === "f32" && Number.isInteger(patch) &&
    patch > 0 && h % patch === 0 && w % patch === 0;
  if (!ok) {
    throw new ShapeError(
      "patchify",
      `needs f32 images [B, H, W, C] with H and W divisible by the patch size ${patch}`,
      [...images.shape],
    );
  }
  const hp = h / patch;
  const wp = w / patch;
  const grid = reshape(images, [b, hp, patch, wp, patch, c]);
  const patches = permute(grid, [0, 1, 3, 2, 4, 5]); // [B, Hp, Wp, p, p, C]
  return reshape(patches, [b, hp * wp, patch * patch * c]);
}

function pool(op: string, x: Tensor, mask: Tensor | undefined, mean: boolean): Tensor {
  const [b, t, d] = x.shape;
  const maskOk = !mask || (mask.dtype === "f32" && mask.rank === 2 && mask.shape[0] === b &&
    mask.shape[1] === t);
  if (x.rank !== 3 || x.dtype !== "f32" || !maskOk) {
    const shapes = mask ? [[...x.shape], [...mask.shape]] : [[...x.shape]];
    throw new ShapeError(op, "needs f32 x [B, T, D] and an optional f32 mask [B, T]", ...shapes);
  }
  const code = specialise(maskedPoolWgsl, {
    MASK_DECL: mask ? "@group(0) @binding(4) var<storage, read> mask: array<f32>;" : "",
    MASK_AT: mask ? "mask[bt]" : "1.0",
  });
  const params = packParams([b, t, d, mean ? 1 : 0]);
  const maskBinding = mask ? [mask.buffer] : [];
  const out = Tensor.empty([b, d]);
  const scale = Tensor.empty([b]);
  dispatch({
    name: `${op}_forward`,
    code,
    entry: "forward",
    params,
    bindings: [x.buffer, out.buffer, scale.buffer, ...maskBinding],
    workgroups: grid1d(b * d),
    flops: 2 * x.size + b * d, // a multiply-add per element, a scale per output
  });
  // `scale` lives as long as the closure; a scope disposes it with the other temporaries.
  return record(out, op, mask ? [x, mask] : [x], (g) => {
    if (!x.requiresGrad) return [null, null];
    const gx = Tensor.empty(x.shape);
    dispatch({
      name: `${op}_backward`,
      code,
      entry: "backward",
      params,
      bindings: [g.buffer, gx.buffer, scale.buffer, ...maskBinding],
      ...grid2d(d, b * t),
      flops: 2 * x.size,
    });
    return [gx, null];
  });
}

/**
 * Mean of x [B, T, D] over T → [B, D]. With an f32 mask [B, T] (1 = keep, weights allowed)
 * it is Σ_t m·x / Σ_t m; a row whose mask sums to 0 gives zeros. The mask gets no gradient.
 */
export function meanPool(x: Tensor, mask?: Tensor): Tensor {
  return pool("meanPool", x, mask, true);
}

/** Σ_t m[b, t]·x[b, t, :] of x [B, T, D] → [B, D] (m = 1 without a mask; no mask gradient). */
export function sumPool(x: Tensor, mask?: Tensor): Tensor {
  return pool("sumPool", x, mask, false);
}
