// Attention backward, step 2: dQ. Each invocation owns R query rows (workgroups as in the
// forward, so each K, V texel load serves R rows): P_ij = exp(s_ij − lse_i) recomputed,
// dS_ij = P_ij (dO_i·v_j − D_i), dQ_i = scale · Σ_j dS_ij k_j in increasing j.
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
@group(0) @binding(6) var<storage, read> stats: array<vec2f>;  // (lse, D) per row
@group(0) @binding(7) var<storage, read_write> dq: array<vec4f>;

// Q, K, V (and dO) are read from rgba32float textures holding the tensor's texels in order,
// W = 2^w_shift texels per texture row (a plain copyBufferToTexture): llvmpipe loads from
// storage buffers at loop-dependent addresses lane by lane, texture loads are inlined.
fn at(f: u32) -> vec2u { return vec2u(f & ((1u << p.w_shift) - 1u), f >> p.w_shift); }

const DH4 = $DH4u;
const WG = 32u;
const R = $Ru;

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

@compute @workgroup_size(WG / R)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let h = bh - b * p.heads;
  let row0 = wid.x * WG + lid.x * R;
  let xb = b * p.x_b + h * p.x_h;
  let sb = b * p.st_b + h * p.st_h;
  let jend = key_end(b, wid.x);
  // @unroll(r) let i{r} = min(row0 + {r}u, p.t - 1u);
  // @unroll(r) let si{r} = sb + i{r} * p.st_i;
  // @unroll(rd) let q{r}_{d} = textureLoad(qt, at(xb + p.q_off + i{r} * p.x_i + {d}u)) * p.scale;
  // @unroll(rd) let g{r}_{d} = textureLoad(gt, at(si{r} * DH4 + {d}u));
  // @unroll(r) let st{r} = stats[si{r}];
  // @unroll(rd) var a{r}_{d} = vec4f(0.0);
  for (var j = 0u; j < jend; j++) {
    let kb = xb + p.k_off + j * p.x_i;
    let vb = xb + p.v_off + j * p.x_i;
    // @unroll(d) let k{d} = textureLoad(kt, at(kb + {d}u));
    // @unroll(d) let v{d} = textureLoad(vt, at(vb + {d}u));
    // @unroll(r) var sv{r} = vec4f(0.0);
    // @unroll(r) var dv{r} = vec4f(0.0);
    // @unroll(rd) sv{r} += q{r}_{d} * k{d};
    // @unroll(rd) dv{r} += g{r}_{d} * v{d};
    // @unroll(r) let pr{r} = select(0.0, exp((sv{r}.x + sv{r}.y) + (sv{r}.z + sv{r}.w) - st{r}.x), key_ok(b, i{r}, j));
    // @unroll(r) let ds{r} = pr{r} * ((dv{r}.x + dv{r}.y) + (dv{r}.z + dv{r}.w) - st{r}.y);
    // @unroll(rd) a{r}_{d} += ds{r} * k{d};
  }
  // @unroll(rd) if (row0 + {r}u < p.t) { dq[xb + p.q_off + (row0 + {r}u) * p.x_i + {d}u] = a{r}_{d} * p.scale; }
}
