// Copies a strided region of `src` into a strided region of `dst`, up to rank 6: the one
// kernel behind permute, slice, concat and their backwards. Elements are moved as raw 32-bit
// words, so f32 and i32 tensors share it.
struct Params {
  n: u32, rank: u32, src_off: u32, dst_off: u32,
  dims: array<vec4u, 2>,         // extent of the copied region
  src_strides: array<vec4u, 2>,
  dst_strides: array<vec4u, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn at(v: array<vec4u, 2>, k: u32) -> u32 { return v[k / 4u][k % 4u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rest = i;
  var s = p.src_off;
  var d = p.dst_off;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let extent = at(p.dims, u32(k));
    let c = rest % extent;
    rest = rest / extent;
    s += c * at(p.src_strides, u32(k));
    d += c * at(p.dst_strides, u32(k));
  }
  dst[d] = src[s];
}
