// The backward of a gather: gx[a, r, b] = Σ g[a, m, b] over the positions m whose index is
// r, read from the CSR index (kernels/index_sort.wgsl) in ascending m: deterministic, no
// atomics. Rows no index points at get 0.
struct Params { n_out: u32, rows: u32, m: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
override WX: u32 = 64u; // workgroup shape, see src/tensor/ops/grid.ts
override WY: u32 = 1u;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> sorted: array<vec2u>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  // Grid: x over b, y/z over (a, r) rows (see src/tensor/ops/grid.ts).
  let b = gid.x;
  let ar = gid.y + gid.z * nwg.y * WY;
  if (b >= p.inner || ar >= p.n_out / p.inner) { return; }
  let a = ar / p.rows;
  let r = ar - a * p.rows;
  let i = ar * p.inner + b;
  var acc = 0.0;
  for (var k = offsets[r]; k < offsets[r + 1u]; k++) {
    acc += g[(a * p.m + sorted[k].y) * p.inner + b];
  }
  out[i] = acc;
}
