// LayerNorm backward for the input, one row per invocation. With x̂ = (x − mean)·rstd and
// ĝ = g·w: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)). Prepended: row_f32.wgsl or row_vec4.wgsl.
struct Params { rows: u32, d: u32, n: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<T>;
@group(0) @binding(2) var<storage, read> x: array<T>;
@group(0) @binding(3) var<storage, read> w: array<T>;
@group(0) @binding(4) var<storage, read> mean_in: array<f32>;
@group(0) @binding(5) var<storage, read> rstd_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<T>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  let mean = mean_in[r];
  let rstd = rstd_in[r];
  var av = T(0.0);
  var bv = T(0.0);
  for (var k = 0u; k < p.d; k++) {
    let gh = g[base + k] * w[k];
    av += gh;
    bv += gh * (x[base + k] - mean) * rstd;
  }
  let a = hsum(av) / p.n;
  let bm = hsum(bv) / p.n;
  for (var k = 0u; k < p.d; k++) {
    let xh = (x[base + k] - mean) * rstd;
    dx[base + k] = rstd * (g[base + k] * w[k] - a - xh * bm);
  }
}
