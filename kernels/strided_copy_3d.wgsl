// Strided region copy without per-element index arithmetic, for regions that collapse to at
// most four dims (outer, outer2, mid, inner). The launch grid gives the element: x along
// inner, y along mid, z along the outer two (z = outer·outer2_extent + outer2). A workgroup
// spans x and y only, so z is the same for all its invocations and splitting it is one
// division per workgroup, not one per element (llvmpipe divides lane by lane).
// T is u32 or vec4u (then inner counts vec4s, contiguous in src and dst); raw 32-bit words,
// so f32 and i32 tensors share it. Strides and offsets are in units of T.
override WX: u32 = 64u;
override WY: u32 = 1u;
struct Params {
  inner: u32, mid: u32, outer2: u32, pad0: u32,
  src_off: u32, dst_off: u32, pad1: u32, pad2: u32,
  src_strides: vec4u, // outer, outer2, mid, inner
  dst_strides: vec4u,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<$T>;
@group(0) @binding(2) var<storage, read_write> dst: array<$T>;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  if (gid.x >= p.inner || gid.y >= p.mid) { return; }
  let o = wid.z / p.outer2;
  let o2 = wid.z - o * p.outer2;
  let c = vec4u(o, o2, gid.y, gid.x);
  let s = c * p.src_strides;
  let d = c * p.dst_strides;
  dst[p.dst_off + (d.x + d.y) + (d.z + d.w)] = src[p.src_off + (s.x + s.y) + (s.z + s.w)];
}
