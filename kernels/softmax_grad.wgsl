// Backward of softmax / log-softmax over the last axis, one row per invocation, from the
// output y (not x): softmax dx = y·(g − Σ g·y); log-softmax dx = g − exp(y)·Σ g.
// Prepended: row_f32.wgsl or row_vec4.wgsl.
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<T>;
@group(0) @binding(2) var<storage, read> y: array<T>;
@group(0) @binding(3) var<storage, read_write> dx: array<T>;

@compute @workgroup_size(64)
fn softmax_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  var dv = T(0.0);
  for (var k = 0u; k < p.d; k++) { dv += g[base + k] * y[base + k]; }
  let dot = hsum(dv);
  for (var k = 0u; k < p.d; k++) { dx[base + k] = y[base + k] * (g[base + k] - dot); }
}

@compute @workgroup_size(64)
fn log_softmax_grad(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  var sv = T(0.0);
  for (var k = 0u; k < p.d; k++) { sv += g[base + k]; }
  let s = hsum(sv);
  for (var k = 0u; k < p.d; k++) { dx[base + k] = g[base + k] - exp(y[base + k]) * s; }
}
