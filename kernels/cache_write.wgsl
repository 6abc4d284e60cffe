// Writes x [B, H, S, Dh] into a cache [B, H, L, Dh] at rows start[b] … start[b] + S − 1 of
// each batch entry (rows past L are dropped). One invocation per 32-bit word of x.
struct Params { n: u32, h: u32, s: u32, l: u32, dh: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> start: array<i32>;
@group(0) @binding(3) var<storage, read_write> cache: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= p.n) { return; }
  let d = idx % p.dh;
  let row = idx / p.dh;          // (b·H + h)·S + s
  let s = row % p.s;
  let bh = row / p.s;
  let b = bh / p.h;
  let pos = start[b] + i32(s);
  if (pos < 0 || u32(pos) >= p.l) { return; }
  cache[(bh * p.l + u32(pos)) * p.dh + d] = x[idx];
}
