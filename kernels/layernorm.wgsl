// LayerNorm over the last axis with affine weight and bias, one row per invocation:
// y = (x − mean)·rstd·w + b, rstd = 1/√(var + eps), var biased (÷ D) as in PyTorch.
// Mean and variance in two passes (not Σx² − mean², which cancels). mean and rstd are kept
// per row for the backward. Prepended: row_f32.wgsl or row_vec4.wgsl.
struct Params { rows: u32, d: u32, n: f32, eps: f32 }   // n: row length in elements
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> w: array<T>;
@group(0) @binding(3) var<storage, read> b: array<T>;
@group(0) @binding(4) var<storage, read_write> y: array<T>;
@group(0) @binding(5) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd_out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  var sv = T(0.0);
  for (var k = 0u; k < p.d; k++) { sv += x[base + k]; }
  let mean = hsum(sv) / p.n;
  var vv = T(0.0);
  for (var k = 0u; k < p.d; k++) {
    let c = x[base + k] - mean;
    vv += c * c;
  }
  let rstd = 1.0 / sqrt(hsum(vv) / p.n + p.eps);
  for (var k = 0u; k < p.d; k++) { y[base + k] = (x[base + k] - mean) * rstd * w[k] + b[k]; }
  mean_out[r] = mean;
  rstd_out[r] = rstd;
}
