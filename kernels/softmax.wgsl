// Softmax / log-softmax over the last axis, one row per invocation (on lavapipe this beat a
// workgroup per row with a shared-memory reduction by 5×; see KERNEL_NOTES). The row is
// read in passes (max, Σexp, write), so any row length works. Prepended: row_f32.wgsl or
// row_vec4.wgsl (T, hmax, hsum); d is the row length in units of T.
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

struct Stats { m: f32, s: f32 }

// Row max m and Σ exp(x − m) of the row starting at base.
fn row_stats(base: u32) -> Stats {
  var mv = x[base];
  for (var k = 1u; k < p.d; k++) { mv = max(mv, x[base + k]); }
  let m = hmax(mv);
  var sv = T(0.0);
  for (var k = 0u; k < p.d; k++) { sv += exp(x[base + k] - m); }
  return Stats(m, hsum(sv));
}

@compute @workgroup_size(64)
fn softmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  let st = row_stats(base);
  let inv = 1.0 / st.s;
  for (var k = 0u; k < p.d; k++) { y[base + k] = exp(x[base + k] - st.m) * inv; }
}

@compute @workgroup_size(64)
fn log_softmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.d;
  let st = row_stats(base);
  // (x − m) − log s, not x − (m + log s): m + log s would round at the scale of m.
  let log_s = log(st.s);
  for (var k = 0u; k < p.d; k++) { y[base + k] = (x[base + k] - st.m) - log_s; }
}
