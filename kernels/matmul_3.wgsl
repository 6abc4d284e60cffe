// matmul_3/4: A and B read from read-only storage textures (inlined loads on llvmpipe, 6–7×
// cheaper than storage-buffer loads), a TM×TN register tile of C per invocation, "tree"
// accumulation (the four products of a k-step are summed before touching the accumulator),
// C stored to a storage buffer. Version 3 uses 8×8 tiles, version 4 16×16.
// Textures come from matmul_to_texture.wgsl: A as [M_p, K_p/4] texels per batch block, B as
// [K_p, N_p/4]; padding is zero, so loads need no bounds checks, only the store does.
// The tile is unrolled by src/tensor/ops/matmul.ts (the DECL, STEP and STORE placeholders): loops over
// private arrays were not unrolled by llvmpipe and spilled the accumulators (≈4× slower).
struct Params {
  m: u32, n: u32, k4: u32, z0: u32,  // K_p / 4 texel steps; first batch of this dispatch
  m_p: u32, k_p: u32,                 // rows per batch block of A and of B
  a_step: u32, b_step: u32,           // 1 if the operand has one block per batch, 0 if shared
  c_off: u32, pad0: u32, pad1: u32, pad2: u32,  // element offset of C (row chunks of a big M)
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var at: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var bt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> c: array<$CTYPE>;

override WX: u32 = 8u;
override WY: u32 = 8u;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * $TMu;
  let col4 = gid.x * $TN4u;
  if (row0 >= p.m || col4 * 4u >= p.n) { return; }
  let z = gid.z;
  let arow = (z * p.a_step) * p.m_p + row0;
  let brow = (z * p.b_step) * p.k_p;
$DECL
  for (var k = 0u; k < p.k4; k++) {
    let kr = brow + 4u * k;
$STEP
  }
  let cz = (z + p.z0) * p.m;  // first row of this batch's C, before c_off
$STORE
}
