// Gradient of per-row log-probabilities w.r.t. the logits, one element per invocation:
// d(−log p_t)/dx_v = softmax_v − [v = t]. Rows whose target is not counted get 0.
//   ce:  scale = g[0] / count[0]  (the mean over counted rows)
//   tlp: scale = −g[n]            (log p itself, one gradient per row)
struct Params { n: u32, v: u32, ignore: i32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> lse: array<vec2f>; // (row max, log Σ exp)
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> count: array<f32>; // ce only

fn grad(i: u32, scale: f32, t: i32) -> f32 {
  let v = i % p.v;
  let onehot = select(0.0, 1.0, i32(v) == t);
  let l = lse[i / p.v];
  return (exp((x[i] - l.x) - l.y) - onehot) * scale;
}

fn counted(t: i32) -> bool { return t >= 0 && u32(t) < p.v && t != p.ignore; }

@compute @workgroup_size(64)
fn ce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n * p.v) { return; }
  let t = targets[i / p.v];
  // A counted row exists whenever this branch runs, so count[0] ≥ 1.
  out[i] = select(0.0, grad(i, g[0] / max(count[0], 1.0), t), counted(t));
}

@compute @workgroup_size(64)
fn tlp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n * p.v) { return; }
  let t = targets[i / p.v];
  out[i] = select(0.0, grad(i, -g[i / p.v], t), counted(t));
}
