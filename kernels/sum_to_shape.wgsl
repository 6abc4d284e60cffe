// Sums a broadcast result back to the shape of one operand (the backward of broadcasting).
// Each invocation owns one output element and loops, in a fixed order, over the reduced
// positions: deterministic, no atomics.
struct Params {
  n_out: u32, rank: u32, n_inner: u32, pad0: u32,
  out_dims: array<vec4u, 2>,     // target shape padded to the source rank (1 where reduced)
  src_strides: array<vec4u, 2>,  // source strides for kept dims, per output coordinate
  red_dims: array<vec4u, 2>,     // extents of reduced dims (1 where kept)
  red_strides: array<vec4u, 2>,  // source strides of reduced dims
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn at(v: array<vec4u, 2>, k: u32) -> u32 { return v[k / 4u][k % 4u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n_out) { return; }
  var rest = i;
  var base = 0u;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = at(p.out_dims, u32(k));
    base += (rest % d) * at(p.src_strides, u32(k));
    rest = rest / d;
  }
  var acc = 0.0;
  for (var j = 0u; j < p.n_inner; j++) {
    var r = j;
    var off = base;
    for (var k = i32(p.rank) - 1; k >= 0; k--) {
      let d = at(p.red_dims, u32(k));
      off += (r % d) * at(p.red_strides, u32(k));
      r = r / d;
    }
    acc += src[off];
  }
  out[i] = acc;
}
