// matmul_1: the naive correctness baseline. One output element per invocation, operands
// read from storage buffers through arbitrary element strides (so transposed operands need
// no conversion) and batch dims decomposed per invocation (broadcast batch strides are 0).
// C[z, m, n] = Σ_k A[z, m, k] · B[z, k, n], summed in increasing k (deterministic).
struct Params {
  m: u32, n: u32, k: u32, batch0: u32,
  // Element strides of A along (m, k) and of B along (k, n).
  sam: u32, sak: u32, sbk: u32, sbn: u32,
  rank: u32, pad0: u32, pad1: u32, pad2: u32,
  dims: vec4u,   // broadcast batch shape (rank ≤ 4)
  a_bs: vec4u,   // batch strides of A in elements (0 where broadcast)
  b_bs: vec4u,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  if (row >= p.m || col >= p.n) { return; }
  let z = gid.z + p.batch0;
  var rest = z;
  var ao = 0u;
  var bo = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let e = p.dims[d];
    let i = rest % e;
    rest = rest / e;
    ao += i * p.a_bs[d];
    bo += i * p.b_bs[d];
  }
  var ai = ao + row * p.sam;
  var bi = bo + col * p.sbn;
  var acc = 0.0;
  for (var kk = 0u; kk < p.k; kk++) {
    acc += a[ai] * b[bi];
    ai += p.sak;
    bi += p.sbk;
  }
  c[(z * p.m + row) * p.n + col] = acc;
}
