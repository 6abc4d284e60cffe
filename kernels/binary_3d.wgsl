// out = a (op) b with broadcasting, after the shapes are merged into at most three dims
// (outer, mid, inner). Each invocation finds its element from the launch grid — x along
// inner, y along mid, z along outer — so there is no per-element integer division, which
// llvmpipe runs lane by lane. Strides of broadcast dims are 0. $T is f32 or vec4f (then
// inner counts vec4s and both operands are contiguous along it).
override WX: u32 = 64u;
override WY: u32 = 1u;
struct Params {
  inner: u32, mid: u32, outer: u32, pad0: u32,
  a_strides: vec4u, // outer, mid, inner
  b_strides: vec4u,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<$T>;
@group(0) @binding(2) var<storage, read> b: array<$T>;
@group(0) @binding(3) var<storage, read_write> out: array<$T>;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  let m = gid.y;
  let o = gid.z;
  if (i >= p.inner || m >= p.mid || o >= p.outer) { return; }
  let x = a[o * p.a_strides.x + m * p.a_strides.y + i * p.a_strides.z];
  let y = b[o * p.b_strides.x + m * p.b_strides.y + i * p.b_strides.z];
  out[(o * p.mid + m) * p.inner + i] = $OP;
}
