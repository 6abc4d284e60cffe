// Attention backward, step 3: dK and dV. One invocation per key row j, one workgroup per
// (batch·head, block of WG keys); query rows i are the uniform loop (q_i, dO_i and the row
// stats are uniform loads): dV_j = Σ_i P_ij dO_i, dK_j = scale · Σ_i dS_ij q_i, in increasing i.
// A masked key (padding) gets zero gradients; with a causal mask only rows i ≥ j count.
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
@group(0) @binding(6) var<storage, read> stats: array<vec2f>;
@group(0) @binding(7) var<storage, read_write> dk: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> dv: array<vec4f>;

const DH4 = $DH4u;
const WG = 32u;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let j = wid.x * WG + lid.x;
  let kj = min(j, p.t - 1u);
  let base = bh * p.t * DH4;
  var key_valid = true;
  if (p.pad_mode == 1u) { key_valid = i32(kj) < bitcast<i32>(pad[b]); }
  if (p.pad_mode == 2u) { key_valid = bitcast<f32>(pad[b * p.t + kj]) != 0.0; }
  var kr: array<vec4f, DH4>;
  var vr: array<vec4f, DH4>;
  for (var d = 0u; d < DH4; d++) {
    kr[d] = k[base + kj * DH4 + d] * p.scale;
    vr[d] = v[base + kj * DH4 + d];
  }
  var gk: array<vec4f, DH4>;
  var gv: array<vec4f, DH4>;
  // With a causal mask, rows before this block's first key see none of its keys.
  let i0 = select(0u, wid.x * WG, p.causal == 1u);
  for (var i = i0; i < p.t; i++) {
    let qb = base + i * DH4;
    var sv = vec4f(0.0);
    var dpv = vec4f(0.0);
    for (var d = 0u; d < DH4; d++) {
      sv += kr[d] * q[qb + d];
      dpv += vr[d] * dout[qb + d];
    }
    let st = stats[bh * p.t + i];
    let ok = key_valid && (p.causal == 0u || i >= kj);
    let pr = select(0.0, exp((sv.x + sv.y) + (sv.z + sv.w) - st.x), ok);
    let ds = pr * ((dpv.x + dpv.y) + (dpv.z + dpv.w) - st.y);
    for (var d = 0u; d < DH4; d++) {
      gv[d] += pr * dout[qb + d];
      gk[d] += ds * q[qb + d];
    }
  }
  if (j < p.t) {
    for (var d = 0u; d < DH4; d++) {
      dk[base + j * DH4 + d] = gk[d] * p.scale;
      dv[base + j * DH4 + d] = gv[d];
    }
  }
}
