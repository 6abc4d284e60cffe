// Attention backward, step 2: dQ. One invocation per query row (workgroups as in the
// forward, so K, V rows are uniform loads): P_ij = exp(s_ij − lse_i) recomputed,
// dS_ij = P_ij (dO_i·v_j − D_i), dQ_i = scale · Σ_j dS_ij k_j in increasing j.
struct Params {
  t: u32, heads: u32, pad_mode: u32, causal: u32,
  bh0: u32, pad0: u32, scale: f32, pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
@group(0) @binding(2) var<storage, read> k: array<vec4f>;
@group(0) @binding(3) var<storage, read> v: array<vec4f>;
@group(0) @binding(4) var<storage, read> pad: array<u32>;
@group(0) @binding(5) var<storage, read> dout: array<vec4f>;
@group(0) @binding(6) var<storage, read> stats: array<vec2f>;  // (lse, D) per row
@group(0) @binding(7) var<storage, read_write> dq: array<vec4f>;

const DH4 = $DH4u;
const WG = 32u;

fn key_end(b: u32, row_block: u32) -> u32 {
  var nk = p.t;
  if (p.pad_mode == 1u) { nk = min(u32(max(bitcast<i32>(pad[b]), 0)), p.t); }
  if (p.causal == 1u) { nk = min(nk, row_block * WG + WG); }
  return nk;
}

fn key_ok(b: u32, i: u32, j: u32) -> bool {
  var ok = p.causal == 0u || j <= i;
  if (p.pad_mode == 2u) { ok = ok && bitcast<f32>(pad[b * p.t + j]) != 0.0; }
  return ok;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let i = wid.x * WG + lid.x;
  let qi = min(i, p.t - 1u);
  let base = bh * p.t * DH4;
  let jend = key_end(b, wid.x);
  var qr: array<vec4f, DH4>;
  var g: array<vec4f, DH4>;
  for (var d = 0u; d < DH4; d++) {
    qr[d] = q[base + qi * DH4 + d] * p.scale;
    g[d] = dout[base + qi * DH4 + d];
  }
  let st = stats[bh * p.t + qi];
  var acc: array<vec4f, DH4>;
  for (var j = 0u; j < jend; j++) {
    let kb = base + j * DH4;
    var sv = vec4f(0.0);
    var dv = vec4f(0.0);
    for (var d = 0u; d < DH4; d++) {
      sv += qr[d] * k[kb + d];
      dv += g[d] * v[kb + d];
    }
    let s = (sv.x + sv.y) + (sv.z + sv.w);
    let pr = select(0.0, exp(s - st.x), key_ok(b, qi, j));
    let ds = pr * ((dv.x + dv.y) + (dv.z + dv.w) - st.y);
    for (var d = 0u; d < DH4; d++) { acc[d] += ds * k[kb + d]; }
  }
  if (i < p.t) {
    for (var d = 0u; d < DH4; d++) { dq[base + i * DH4 + d] = acc[d] * p.scale; }
  }
}
