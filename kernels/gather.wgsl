// out[a, m, b] = x[a, idx[m], b] for x viewed as [A, N, B]; an index outside [0, N) gives 0.
// Moves raw 32-bit words, so f32 and i32 sources share it.
struct Params { n_out: u32, rows: u32, m: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
override WX: u32 = 64u; // workgroup shape, see src/tensor/ops/grid.ts
override WY: u32 = 1u;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  // Grid: x over b, y/z over (a, m) rows (see src/tensor/ops/grid.ts).
  let b = gid.x;
  let am = gid.y + gid.z * nwg.y * WY;
  if (b >= p.inner || am >= p.n_out / p.inner) { return; }
  let a = am / p.m;
  let m = am - a * p.m;
  let i = am * p.inner + b;
  let row = idx[m];
  if (row < 0 || u32(row) >= p.rows) {
    out[i] = 0u;
    return;
  }
  out[i] = x[(a * p.rows + u32(row)) * p.inner + b];
}
