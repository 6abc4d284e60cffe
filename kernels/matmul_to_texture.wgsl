// Converts one matmul operand from a storage buffer into the layout the texture kernels
// read: an rgba32float texture where each texel holds 4 consecutive elements of a row of
// the logical matrix (A as [M, K], B as [K, N]), one block of `rows_p` texture rows per batch
// matrix. Transposed operands are transposed here (through the source strides), so the
// matmul kernel has a single layout. Padding rows/columns are written as zeros: padded K
// must be zero for every output, padded M/N keeps the kernel's loads in bounds.
struct Params {
  rows: u32, cols: u32,         // logical matrix, as stored in the texture
  rows_p: u32, cols4: u32,      // padded rows per block, texels per row
  sr: u32, sc: u32,             // source element strides along rows and columns
  rank: u32, z0: u32,           // batch rank; first batch handled by this dispatch
  off: u32, pad0: u32, pad1: u32, pad2: u32,  // element offset (row chunks of a big M)
  dims: vec4u,                  // broadcast batch shape of the matmul
  bs: vec4u,                    // this operand's batch strides in elements (0 = broadcast)
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(16, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let r = gid.y;
  if (t >= p.cols4 || r >= p.rows_p) { return; }
  var rest = gid.z + p.z0;
  var base = p.off;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let e = p.dims[d];
    base += (rest % e) * p.bs[d];
    rest = rest / e;
  }
  var v = vec4f(0.0);
  if (r < p.rows) {
    let c0 = t * 4u;
    let o = base + r * p.sr + c0 * p.sc;
    if (c0 < p.cols) { v.x = src[o]; }
    if (c0 + 1u < p.cols) { v.y = src[o + p.sc]; }
    if (c0 + 2u < p.cols) { v.z = src[o + 2u * p.sc]; }
    if (c0 + 3u < p.cols) { v.w = src[o + 3u * p.sc]; }
  }
  textureStore(dst, vec2u(t, gid.z * p.rows_p + r), v);
}
