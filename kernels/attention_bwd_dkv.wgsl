// Attention backward, step 3: dK and dV. One invocation per key row j, one workgroup per
// (batch·head, block of WG keys); query rows i are the uniform loop (q_i, dO_i and the row
// stats are uniform loads): dV_j = Σ_i P_ij dO_i, dK_j = scale · Σ_i dS_ij q_i, in increasing i.
// A masked key (padding) gets zero gradients; with a causal mask only rows i ≥ j count.
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
@group(0) @binding(6) var st_t: texture_storage_2d<rgba32float, read>;  // (lse, D, 0, 0) per row
@group(0) @binding(7) var<storage, read_write> dk: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> dv: array<vec4f>;

// Q, K, V (and dO) are read from rgba32float textures holding the tensor's texels in order,
// W = 2^w_shift texels per texture row (a plain copyBufferToTexture): llvmpipe loads from
// storage buffers at loop-dependent addresses lane by lane, texture loads are inlined.
fn at(f: u32) -> vec2u { return vec2u(f & ((1u << p.w_shift) - 1u), f >> p.w_shift); }

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
  let ko = base + kj * DH4;
  // @unroll let k{d} = textureLoad(kt, at(ko + {d}u)) * p.scale;
  // @unroll let v{d} = textureLoad(vt, at(ko + {d}u));
  // @unroll var gk{d} = vec4f(0.0);
  // @unroll var gv{d} = vec4f(0.0);
  // With a causal mask, rows before this block's first key see none of its keys.
  let i0 = select(0u, wid.x * WG, p.causal == 1u);
  for (var i = i0; i < p.t; i++) {
    let qb = base + i * DH4;
    var sv = vec4f(0.0);
    var dpv = vec4f(0.0);
    // @unroll let q{d} = textureLoad(qt, at(qb + {d}u));
    // @unroll sv += k{d} * q{d};
    // @unroll let g{d} = textureLoad(gt, at(qb + {d}u));
    // @unroll dpv += v{d} * g{d};
    let st = textureLoad(st_t, at(bh * p.t + i)).xy;
    let ok = key_valid && (p.causal == 0u || i >= kj);
    let pr = select(0.0, exp((sv.x + sv.y) + (sv.z + sv.w) - st.x), ok);
    let ds = pr * ((dpv.x + dpv.y) + (dpv.z + dpv.w) - st.y);
    // @unroll gv{d} += pr * g{d};
    // @unroll gk{d} += ds * q{d};
  }
  if (j < p.t) {
    let oo = base + j * DH4;
    // @unroll dk[oo + {d}u] = gk{d} * p.scale;
    // @unroll dv[oo + {d}u] = gv{d};
  }
}
