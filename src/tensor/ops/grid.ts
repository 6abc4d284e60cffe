/**
 * 2-D launch grids for row-structured kernels: invocation (col, row) with col along x and
 * rows along y, folded into z past the per-dimension limit. Recovering (row, col) this way
 * avoids per-element integer division, which llvmpipe runs lane by lane. The workgroup is
 * WX×WY = 64 invocations with WX the smallest power of two ≥ cols (≤ 64), so narrow rows
 * (D = 1, 3, …) do not leave most of each workgroup idle.
 * WGSL side:
 *   override WX: u32 = 64u;  override WY: u32 = 1u;  @workgroup_size(WX, WY)
 *   let col = gid.x;  let row = gid.y + gid.z * nwg.y * WY;
 * @module
 */

import { gpu } from "../../gpu/device.ts";

/** Workgroup counts and the WX/WY override constants covering `cols` × `rows`. */
export function grid2d(
  cols: number,
  rows: number,
): { workgroups: [number, number, number]; constants: { WX: number; WY: number } } {
  let wx = 1;
  while (wx < Math.min(cols, 64)) wx *= 2;
  const wy = 64 / wx;
  const maxWg = gpu().limits.maxComputeWorkgroupsPerDimension;
  const groupsY = Math.max(1, Math.ceil(rows / wy));
  const z = Math.ceil(groupsY / maxWg);
  return {
    workgroups: [Math.max(1, Math.ceil(cols / wx)), Math.ceil(groupsY / z), z],
    constants: { WX: wx, WY: wy },
  };
}
