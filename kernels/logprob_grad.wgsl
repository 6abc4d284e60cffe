// Gradient of per-row log-probabilities w.r.t. the logits, one element per invocation
// (grid: x over v, y/z over rows n; see src/tensor/ops/grid.ts):
// d(−log p_t)/dx_v = softmax_v − [v = t]. Rows whose target is not counted get 0.
//   ce:  scale = g[0] / count[0]  (the mean over counted rows)
//   tlp: scale = −g[n]            (log p itself, one gradient per row)
struct Params { n: u32, v: u32, ignore: i32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
override WX: u32 = 64u; // workgroup shape, see src/tensor/ops/grid.ts
override WY: u32 = 1u;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> lse: array<vec2f>; // (row max, log Σ exp)
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> count: array<f32>; // ce only

fn grad(n: u32, v: u32, scale: f32, t: i32) -> f32 {
  let l = lse[n];
  let onehot = select(0.0, 1.0, i32(v) == t);
  return (exp((x[n * p.v + v] - l.x) - l.y) - onehot) * scale;
}

fn counted(t: i32) -> bool { return t >= 0 && u32(t) < p.v && t != p.ignore; }

@compute @workgroup_size(WX, WY)
fn ce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let v = gid.x;
  let n = gid.y + gid.z * nwg.y * WY;
  if (v >= p.v || n >= p.n) { return; }
  let t = targets[n];
  // A counted row exists whenever this branch runs, so count[0] ≥ 1.
  out[n * p.v + v] = select(0.0, grad(n, v, g[0] / max(count[0], 1.0), t), counted(t));
}

@compute @workgroup_size(WX, WY)
fn tlp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let v = gid.x;
  let n = gid.y + gid.z * nwg.y * WY;
  if (v >= p.v || n >= p.n) { return; }
  let t = targets[n];
  out[n * p.v + v] = select(0.0, grad(n, v, -g[n], t), counted(t));
}
