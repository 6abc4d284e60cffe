// Fused multi-head attention forward on [B, H, T, Dh] (Dh a multiple of 4): one invocation
// per query row, one workgroup per (batch·head, block of WG query rows). K and V rows are
// addressed only through the workgroup id and loop counters, so llvmpipe loads each one
// once for all lanes (a uniform load) instead of lane by lane. The scores of a row stay in
// private memory: pass 1 computes them (masked keys are skipped), pass 2 exponentiates and
// accumulates V. Masked keys get probability exactly 0; a row with no valid key outputs 0.
// Also writes the row's log-sum-exp (of the scaled, masked scores) for the backward.
// Lines `// @unroll …` are repeated by src/tensor/ops/attention.ts for d = 0 … Dh/4 − 1
// ({d} substituted): q and the output row then live in registers, where private arrays
// indexed in a loop were kept in memory (≈3× slower).
struct Params {
  t: u32, heads: u32, pad_mode: u32, causal: u32,  // pad_mode: 0 none, 1 lengths, 2 0/1 mask
  bh0: u32, lse_off: u32, w_shift: u32, scale: f32,
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

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let i = wid.x * WG + lid.x;
  let qi = min(i, p.t - 1u);  // lanes past T compute a valid row and skip the store
  let base = bh * p.t * DH4;
  let jend = key_end(b, wid.x);
  let qo = base + qi * DH4;
  // @unroll let q{d} = textureLoad(qt, at(qo + {d}u)) * p.scale;
  var s: array<f32, TMAX>;
  var m = -3.0e38;
  for (var j = 0u; j < jend; j++) {
    let kb = base + j * DH4;
    var acc = vec4f(0.0);
    // @unroll acc += q{d} * textureLoad(kt, at(kb + {d}u));
    let sc = (acc.x + acc.y) + (acc.z + acc.w);
    s[j] = sc;
    if (key_ok(b, qi, j)) { m = max(m, sc); }
  }
  // @unroll var o{d} = vec4f(0.0);
  var l = 0.0;
  for (var j = 0u; j < jend; j++) {
    let e = select(0.0, exp(s[j] - m), key_ok(b, qi, j));
    l += e;
    let vb = base + j * DH4;
    // @unroll o{d} += e * textureLoad(vt, at(vb + {d}u));
  }
  if (i < p.t) {
    let inv = select(0.0, 1.0 / l, l > 0.0);
    let oo = base + i * DH4;
    // @unroll out[oo + {d}u] = o{d} * inv;
    lse[p.lse_off + bh * p.t + i] = select(0.0, m + log(l), l > 0.0);
  }
}
