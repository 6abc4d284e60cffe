// One row of logits per invocation: the row max m and log Σ_v exp(x[n, v] − m) (shifted, so
// large logits do not overflow), kept apart as lse[n] = (m, log s) so that x − m stays exact
// even for logits near 1e4; logp[n] = (x[n, t] − m) − log s for the row's target t, or 0
// when the target is outside [0, V) or equals the ignore index.
struct Params { n: u32, v: u32, ignore: i32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> lse: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> logp: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.y * nwg.x * 64u;
  if (n >= p.n) { return; }
  let base = n * p.v;
  var m = x[base];
  for (var j = 1u; j < p.v; j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.v; j++) { s += exp(x[base + j] - m); }
  let ls = log(s);
  lse[n] = vec2f(m, ls);
  let t = targets[n];
  let valid = t >= 0 && u32(t) < p.v && t != p.ignore;
  logp[n] = select(0.0, (x[base + u32(clamp(t, 0, i32(p.v) - 1))] - m) - ls, valid);
}
