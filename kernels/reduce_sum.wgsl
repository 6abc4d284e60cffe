// Sums x, viewed as [outer, len, inner], over chunks of len:
//   out[o, c, i] = scale · Σ_{l ∈ chunk c} x[o, l, i]   (l ascending: a fixed order, no atomics)
// One invocation per output. A long axis takes several passes (chunk sums, then sums of those),
// so no invocation loops over more than `chunk` elements and rounding error stays small.
struct Params { n_out: u32, len: u32, inner: u32, chunk: u32, n_chunks: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n_out) { return; }
  let i = j % p.inner;
  let c = (j / p.inner) % p.n_chunks;
  let o = j / (p.inner * p.n_chunks);
  let start = c * p.chunk;
  let end = min(p.len, start + p.chunk);
  var at = (o * p.len + start) * p.inner + i;
  var acc = 0.0;
  for (var l = start; l < end; l++) {
    acc += x[at];
    at += p.inner;
  }
  out[j] = acc * p.scale;
}
