// The conversion of matmul_to_texture.wgsl with vec4 source loads (llvmpipe loads a vec4
// lane by lane at about the cost of one float, so this is ~4× cheaper), for sources whose
// rows are a multiple of 4 floats. Same parameters and output layout.
//  rows4: source rows are the logical rows (sc = 1): one texel per invocation, one load.
//  cols4: source rows are the logical columns (sr = 1, a transposed operand): each
//         invocation reads a 4×4 block as 4 vec4 loads and writes it transposed as 4 texels.
struct Params {
  rows: u32, cols: u32,
  rows_p: u32, cols4: u32,
  sr: u32, sc: u32,
  rank: u32, z0: u32,
  off: u32, pad0: u32, pad1: u32, pad2: u32,
  dims: vec4u,
  bs: vec4u,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var dst: texture_storage_2d<rgba32float, write>;

fn batch_base(z: u32) -> u32 {
  var rest = z + p.z0;
  var base = p.off;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let e = p.dims[d];
    base += (rest % e) * p.bs[d];
    rest = rest / e;
  }
  return base;
}

@compute @workgroup_size(16, 4)
fn rows4(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let r = gid.y;
  if (t >= p.cols4 || r >= p.rows_p) { return; }
  var v = vec4f(0.0);
  if (r < p.rows && t * 4u < p.cols) {
    v = src[(batch_base(gid.z) + r * p.sr) / 4u + t];
  }
  textureStore(dst, vec2u(t, gid.z * p.rows_p + r), v);
}

@compute @workgroup_size(16, 4)
fn cols4(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let r0 = gid.y * 4u;
  if (t >= p.cols4 || r0 >= p.rows_p) { return; }
  let base = batch_base(gid.z) + r0;
  var s: array<vec4f, 4>;
  for (var q = 0u; q < 4u; q++) {
    let c = t * 4u + q;
    if (c < p.cols && r0 < p.rows) { s[q] = src[(base + c * p.sc) / 4u]; }
  }
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + i;
    if (r >= p.rows_p) { break; }
    var v = vec4f(s[0][i], s[1][i], s[2][i], s[3][i]);
    if (r >= p.rows) { v = vec4f(0.0); }
    textureStore(dst, vec2u(t, gid.z * p.rows_p + r), v);
  }
}
