// matmul_2: storage buffers with a 4×4 register tile of C per invocation: each k-step loads
// 4 values of A and 4 of B (through element strides, so transposes need no conversion) for
// 16 multiply-adds, where matmul_1 loads 2 per multiply-add. Batch dims as in matmul_1.
struct Params {
  m: u32, n: u32, k: u32, batch0: u32,
  sam: u32, sak: u32, sbk: u32, sbn: u32,
  rank: u32, pad0: u32, pad1: u32, pad2: u32,
  dims: vec4u,
  a_bs: vec4u,
  b_bs: vec4u,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  if (row0 >= p.m || col0 >= p.n) { return; }
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
  // Rows/columns past the edge re-read the last valid one (in bounds) and are not stored.
  let r = min(vec4u(row0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.m - 1u));
  let q = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.n - 1u));
  let ar = vec4u(ao) + r * p.sam;
  let bq = vec4u(bo) + q * p.sbn;
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let ka = kk * p.sak;
    let kb = kk * p.sbk;
    let bv = vec4f(b[bq.x + kb], b[bq.y + kb], b[bq.z + kb], b[bq.w + kb]);
    c0 += a[ar.x + ka] * bv;
    c1 += a[ar.y + ka] * bv;
    c2 += a[ar.z + ka] * bv;
    c3 += a[ar.w + ka] * bv;
  }
  let rows = array<vec4f, 4>(c0, c1, c2, c3);
  for (var i = 0u; i < 4u; i++) {
    if (row0 + i >= p.m) { break; }
    let o = (z * p.m + row0 + i) * p.n + col0;
    for (var j = 0u; j < 4u; j++) {
      if (col0 + j < p.n) { c[o + j] = rows[i][j]; }
    }
  }
}
