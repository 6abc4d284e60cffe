// Attention backward, step 3: dK and dV. Each invocation owns R key rows j, a workgroup a
// block of WG keys of one batch·head; the loop runs over query rows i (each q_i, dO_i texel
// load serves R keys): dV_j = Σ_i P_ij dO_i, dK_j = scale · Σ_i dS_ij q_i, in increasing i.
// A masked key (padding) gets zero gradients; with a causal mask only rows i ≥ j count.
// `// @unroll(x)` lines are repeated over d and/or r (see attention_fwd.wgsl).
// Layout parameters as in attention_fwd.wgsl (dQ/dK/dV go where Q/K/V are, dO and the
// stats are in stat order).
struct Params {
  t: u32, heads: u32, pad_mode: u32, causal: u32,
  bh0: u32, pad0: u32, w_shift: u32, x_b: u32,
  x_h: u32, x_i: u32, q_off: u32, k_off: u32,
  v_off: u32, st_b: u32, st_h: u32, st_i: u32,
  scale: f32,
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
const R = $Ru;

fn key_valid(b: u32, j: u32) -> bool {
  if (p.pad_mode == 1u) { return i32(j) < bitcast<i32>(pad[b]); }
  if (p.pad_mode == 2u) { return bitcast<f32>(pad[b * p.t + j]) != 0.0; }
  return true;
}

@compute @workgroup_size(WG / R)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let h = bh - b * p.heads;
  let row0 = wid.x * WG + lid.x * R;
  let xb = b * p.x_b + h * p.x_h;
  let sb = b * p.st_b + h * p.st_h;
  // @unroll(r) let j{r} = min(row0 + {r}u, p.t - 1u);
  // @unroll(r) let kv{r} = key_valid(b, j{r});
  // @unroll(rd) let k{r}_{d} = textureLoad(kt, at(xb + p.k_off + j{r} * p.x_i + {d}u)) * p.scale;
  // @unroll(rd) let v{r}_{d} = textureLoad(vt, at(xb + p.v_off + j{r} * p.x_i + {d}u));
  // @unroll(rd) var gk{r}_{d} = vec4f(0.0);
  // @unroll(rd) var gv{r}_{d} = vec4f(0.0);
  // With a causal mask, rows before this block's first key see none of its keys.
  let i0 = select(0u, wid.x * WG, p.causal == 1u);
  for (var i = i0; i < p.t; i++) {
    let qb = xb + p.q_off + i * p.x_i;
    let si = sb + i * p.st_i;
    // @unroll(d) let q{d} = textureLoad(qt, at(qb + {d}u));
    // @unroll(d) let g{d} = textureLoad(gt, at(si * DH4 + {d}u));
    let st = textureLoad(st_t, at(si)).xy;
    // @unroll(r) var sv{r} = vec4f(0.0);
    // @unroll(r) var dpv{r} = vec4f(0.0);
    // @unroll(rd) sv{r} += k{r}_{d} * q{d};
    // @unroll(rd) dpv{r} += v{r}_{d} * g{d};
    // @unroll(r) let ok{r} = kv{r} && (p.causal == 0u || i >= j{r});
    // @unroll(r) let pr{r} = select(0.0, exp((sv{r}.x + sv{r}.y) + (sv{r}.z + sv{r}.w) - st.x), ok{r});
    // @unroll(r) let ds{r} = pr{r} * ((dpv{r}.x + dpv{r}.y) + (dpv{r}.z + dpv{r}.w) - st.y);
    // @unroll(rd) gv{r}_{d} += pr{r} * g{d};
    // @unroll(rd) gk{r}_{d} += ds{r} * q{d};
  }
  // @unroll(rd) if (row0 + {r}u < p.t) { dk[xb + p.k_off + (row0 + {r}u) * p.x_i + {d}u] = gk{r}_{d} * p.scale; }
  // @unroll(rd) if (row0 + {r}u < p.t) { dv[xb + p.v_off + (row0 + {r}u) * p.x_i + {d}u] = gv{r}_{d}; }
}
