// Sum of squares of one gradient, as `groups` partial sums written at partials[offset + g].
// Each invocation strides over the tensor in a fixed order, then the workgroup reduces in a
// fixed tree: deterministic, no atomics. Dispatched with exactly `groups` workgroups.
struct Params { n: u32, offset: u32, groups: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> acc: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  var s = 0.0;
  for (var i = wid.x * 64u + lid.x; i < p.n; i += p.groups * 64u) {
    let x = g[i];
    s += x * x;
  }
  acc[lid.x] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w = w >> 1u) {
    if (lid.x < w) { acc[lid.x] += acc[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[p.offset + wid.x] = acc[0]; }
}
