// Attention backward, step 1: per query row, stats = (lse, D) with D = dO·O (the row term of
// the softmax backward, dS = P ∘ (dP − D)). One invocation per row of [B·H·T].
struct Params { rows: u32, lse_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> o: array<vec4f>;    // forward output; lse at lse_off
@group(0) @binding(2) var<storage, read> o_f: array<f32>;    // same buffer, for the lse
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2f>;

const DH4 = $DH4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  var acc = vec4f(0.0);
  for (var d = 0u; d < DH4; d++) { acc += o[r * DH4 + d] * dout[r * DH4 + d]; }
  stats[r] = vec2f(o_f[p.lse_off + r], (acc.x + acc.y) + (acc.z + acc.w));
}
