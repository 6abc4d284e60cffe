// Gradients of reductions over the middle axis of [outer, len, inner]; g is [outer, inner].
// `spread` (sum, mean): dx[o, l, i] = scale · g[o, i].
// `route` (max): dx[o, l, i] = g[o, i] where l is the recorded position of the maximum, else 0.
struct Params { n: u32, len: u32, inner: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<i32>;

@compute @workgroup_size(64)
fn spread(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n) { return; }
  let k = (j / (p.len * p.inner)) * p.inner + j % p.inner;
  dx[j] = g[k] * p.scale;
}

@compute @workgroup_size(64)
fn route(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n) { return; }
  let k = (j / (p.len * p.inner)) * p.inner + j % p.inner;
  let l = (j / p.inner) % p.len;
  dx[j] = select(0.0, g[k], idx[k] == i32(l));
}
