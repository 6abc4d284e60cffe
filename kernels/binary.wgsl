// out = a (op) b with numpy broadcasting, up to rank 6. Strides of broadcast dims are 0.
// The operator expression is spliced in by src/tensor/ops/binary.ts (one pipeline per operator).
struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  dims: array<vec4u, 2>,      // output shape, 6 used
  a_strides: array<vec4u, 2>,
  b_strides: array<vec4u, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn at(v: array<vec4u, 2>, k: u32) -> u32 { return v[k / 4u][k % 4u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = at(p.dims, u32(k));
    let c = rest % d;
    rest = rest / d;
    ia += c * at(p.a_strides, u32(k));
    ib += c * at(p.b_strides, u32(k));
  }
  let x = a[ia];
  let y = b[ib];
  out[i] = $OP;
}
