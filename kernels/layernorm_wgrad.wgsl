// LayerNorm backward for weight and bias, first level: invocation (c, k) sums column unit k
// over the rows of chunk c in order: dw_part[c, k] = Σ g·x̂, db_part[c, k] = Σ g. The chunks
// are then summed over c by the reduce_sum kernel: deterministic, no atomics, and enough
// invocations even when D is small. Prepended: row_f32.wgsl or row_vec4.wgsl.
struct Params { rows: u32, d: u32, chunk: u32, n_chunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<T>;
@group(0) @binding(2) var<storage, read> x: array<T>;
@group(0) @binding(3) var<storage, read> mean_in: array<f32>;
@group(0) @binding(4) var<storage, read> rstd_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> dw_part: array<T>;
@group(0) @binding(6) var<storage, read_write> db_part: array<T>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.d * p.n_chunks) { return; }
  let k = j % p.d;
  let c = j / p.d;
  let end = min(p.rows, (c + 1u) * p.chunk);
  var dw = T(0.0);
  var db = T(0.0);
  for (var r = c * p.chunk; r < end; r++) {
    let gv = g[r * p.d + k];
    dw += gv * (x[r * p.d + k] - mean_in[r]) * rstd_in[r];
    db += gv;
  }
  dw_part[j] = dw;
  db_part[j] = db;
}
