// Attention backward, step 1: per query row, stats = (lse, D) with D = dO·O (the row term of
// the softmax backward, dS = P ∘ (dP − D)). One invocation per row of [B·H·T].
struct Params { rows: u32, lse_off: u32, w_shift: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> o: array<vec4f>;    // forward output; lse at lse_off
@group(0) @binding(2) var<storage, read> o_f: array<f32>;    // same buffer, for the lse
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(5) var stats_t: texture_storage_2d<rgba32float, write>;  // same, for dK/dV

const DH4 = $DH4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  var acc = vec4f(0.0);
  for (var d = 0u; d < DH4; d++) { acc += o[r * DH4 + d] * dout[r * DH4 + d]; }
  let st = vec2f(o_f[p.lse_off + r], (acc.x + acc.y) + (acc.z + acc.w));
  stats[r] = st;
  let w = 1u << p.w_shift;
  textureStore(stats_t, vec2u(r & (w - 1u), r >> p.w_shift), vec4f(st, 0.0, 0.0));
}
