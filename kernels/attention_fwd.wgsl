// Fused multi-head attention forward (Dh a multiple of 4) over any row layout (below): each invocation
// owns R consecutive query rows, a workgroup a block of WG rows of one batch·head, so every
// K and V texel loaded serves R rows (loads dominate on llvmpipe). The scores of a row stay
// in private memory: pass 1 computes them, pass 2 exponentiates and accumulates V. Masked
// keys get probability exactly 0; a row with no valid key outputs 0. Also writes the row's
// log-sum-exp (of the scaled, masked scores) for the backward.
// Lines `// @unroll(x) …` are repeated by src/tensor/ops/attention.ts over d = 0 … Dh/4 − 1
// (x = d), r = 0 … R − 1 (x = r) or both (x = rd), substituting {d} and {r}: rows and
// head dims then live in registers, where private arrays indexed in a loop stay in memory.
// Layout, in texels (4 floats): row i of head h of batch entry b of Q starts at texel
// q_off + b·x_b + h·x_h + i·x_i (K, V likewise with k_off, v_off): [B, H, T, Dh] tensors
// (offsets 0) or one packed qkv [B, T, 3, H, Dh]. Per-row values (O, dO, the row stats)
// are in "stat" order, row index st = b·st_b + h·st_h + i·st_i, O's row at texel st·DH4:
// [B, H, T, Dh] or [B, T, H, Dh].
struct Params {
  t: u32, heads: u32, pad_mode: u32, causal: u32,  // pad_mode: 0 none, 1 lengths, 2 0/1 mask
  bh0: u32, lse_off: u32, w_shift: u32, x_b: u32,
  x_h: u32, x_i: u32, q_off: u32, k_off: u32,
  v_off: u32, st_b: u32, st_h: u32, st_i: u32,
  scale: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var qt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var kt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var vt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(4) var<storage, read> pad: array<u32>;   // i32 lengths [B] or f32 mask [B, T]
@group(0) @binding(5) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>; // same buffer as out, at lse_off

// Q, K, V (and dO) are read from rgba32float textures holding the tensor's texels in order,
// W = 2^w_shift texels per texture row (a plain copyBufferToTexture): llvmpipe loads from
// storage buffers at loop-dependent addresses lane by lane, texture loads are inlined.
fn at(f: u32) -> vec2u { return vec2u(f & ((1u << p.w_shift) - 1u), f >> p.w_shift); }

const DH4 = $DH4u;
const TMAX = $TMAXu;
const WG = 32u;
const R = $Ru;

// Number of keys worth visiting for this workgroup (uniform): the valid length, and for a
// causal mask the last query row of the block.
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
  // Rows past T compute a valid row (clamped) and skip the store.
  // @unroll(r) let i{r} = min(row0 + {r}u, p.t - 1u);
  // @unroll(rd) let q{r}_{d} = textureLoad(qt, at(xb + p.q_off + i{r} * p.x_i + {d}u)) * p.scale;
  // @unroll(r) var s{r}: array<f32, TMAX>;
  // @unroll(r) var m{r} = -3.0e38;
  for (var j = 0u; j < jend; j++) {
    let kb = xb + p.k_off + j * p.x_i;
    // @unroll(d) let k{d} = textureLoad(kt, at(kb + {d}u));
    // @unroll(r) var a{r} = vec4f(0.0);
    // @unroll(rd) a{r} += q{r}_{d} * k{d};
    // @unroll(r) let sc{r} = (a{r}.x + a{r}.y) + (a{r}.z + a{r}.w);
    // @unroll(r) s{r}[j] = sc{r};
    // @unroll(r) m{r} = select(m{r}, max(m{r}, sc{r}), key_ok(b, i{r}, j));
  }
  // @unroll(rd) var o{r}_{d} = vec4f(0.0);
  // @unroll(r) var l{r} = 0.0;
  for (var j = 0u; j < jend; j++) {
    let vb = xb + p.v_off + j * p.x_i;
    // @unroll(d) let v{d} = textureLoad(vt, at(vb + {d}u));
    // @unroll(r) let e{r} = select(0.0, exp(s{r}[j] - m{r}), key_ok(b, i{r}, j));
    // @unroll(r) l{r} += e{r};
    // @unroll(rd) o{r}_{d} += e{r} * v{d};
  }
  // @unroll(r) let inv{r} = select(0.0, 1.0 / l{r}, l{r} > 0.0);
  // @unroll(r) let st{r} = sb + (row0 + {r}u) * p.st_i;
  // @unroll(rd) if (row0 + {r}u < p.t) { out[st{r} * DH4 + {d}u] = o{r}_{d} * inv{r}; }
  // @unroll(r) if (row0 + {r}u < p.t) { lse[p.lse_off + st{r}] = select(0.0, m{r} + log(l{r}), l{r} > 0.0); }
}
