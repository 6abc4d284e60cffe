// out = f(x) element-wise, four elements per invocation. The expression $FWD (in x, and the
// scalar p.s for scale/addScalar) is spliced in by src/tensor/ops/unary.ts after the prelude.
struct Params { n4: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xs: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n4) { return; }
  let x = xs[i];
  out[i] = $FWD;
}
