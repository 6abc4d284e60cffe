// Attention backward, step 2: dQ. One invocation per query row (workgroups as in the
// forward, so K, V rows are uniform loads): P_ij = exp(s_ij − lse_i) recomputed,
// dS_ij = P_ij (dO_i·v_j − D_i), dQ_i = scale · Σ_j dS_ij k_j in increasing j.
// `// @unroll` lines are repeated for d = 0 … Dh/4 − 1 (see attention_fwd.wgsl).
struct Params {
  t: u32, heads: u32, pad_mode: u32, causal: u32,
  bh0: u32, pad0: u32, w_shift: u32, scale: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var qt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var kt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var vt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(4) var<storage, read> pad: array<u32>;
@group(0) @binding(5) var gt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var<storage, read> stats: array<vec2f>;  // (lse, D) per row
@group(0) @binding(7) var<storage, read_write> dq: array<vec4f>;

// Q, K, V (and dO) are read from rgba32float textures holding the tensor's texels in order,
// W = 2^w_shift texels per texture row (a plain copyBufferToTexture): llvmpipe loads from
// storage buffers at loop-dependent addresses lane by lane, texture loads are inlined.
fn at(f: u32) -> vec2u { return vec2u(f & ((1u << p.w_shift) - 1u), f >> p.w_shift); }

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
  let qo = base + qi * DH4;
  // @unroll let q{d} = textureLoad(qt, at(qo + {d}u)) * p.scale;
  // @unroll let g{d} = textureLoad(gt, at(qo + {d}u));
  let st = stats[bh * p.t + qi];
  // @unroll var a{d} = vec4f(0.0);
  for (var j = 0u; j < jend; j++) {
    let kb = base + j * DH4;
    var sv = vec4f(0.0);
    var dv = vec4f(0.0);
    // @unroll let k{d} = textureLoad(kt, at(kb + {d}u));
    // @unroll sv += q{d} * k{d};
    // @unroll dv += g{d} * textureLoad(vt, at(kb + {d}u));
    let s = (sv.x + sv.y) + (sv.z + sv.w);
    let pr = select(0.0, exp(s - st.x), key_ok(b, qi, j));
    let ds = pr * ((dv.x + dv.y) + (dv.z + dv.w) - st.y);
    // @unroll a{d} += ds * k{d};
  }
  if (i < p.t) {
    let oo = base + i * DH4;
    // @unroll dq[oo + {d}u] = a{d} * p.scale;
  }
}
