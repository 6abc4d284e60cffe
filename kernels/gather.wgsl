// out[a, m, b] = x[a, idx[m], b] for x viewed as [A, N, B]; an index outside [0, N) gives 0.
// Moves raw 32-bit words, so f32 and i32 sources share it.
struct Params { n_out: u32, rows: u32, m: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n_out) { return; }
  let b = i % p.inner;
  let m = (i / p.inner) % p.m;
  let a = i / (p.inner * p.m);
  let row = idx[m];
  if (row < 0 || u32(row) >= p.rows) {
    out[i] = 0u;
    return;
  }
  out[i] = x[(a * p.rows + u32(row)) * p.inner + b];
}
