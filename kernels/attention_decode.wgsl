// Attention of S new query rows over a key/value cache [B, H, L, Dh] with a valid length per
// batch entry (generation with a KV cache). Query row i of entry b sees keys
// j < len[b] − (S − 1 − i): the last query row sees every valid key, earlier ones are causal
// with respect to it. Softmax is online (running max and sum, rescaled per key), so no
// score array is kept and L is unbounded. One invocation per query row, one workgroup per
// (block of WG query rows, batch·head); K and V rows are addressed only through the
// workgroup id and the loop counter, so llvmpipe loads each once for all lanes.
// Lines `// @unroll …` are repeated for d = 0 … Dh/4 − 1 by src/tensor/ops/attention_decode.ts.
struct Params {
  s: u32, l: u32, heads: u32, bh0: u32,
  scale: f32, pad0: u32, pad1: u32, pad2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4f>;     // [B, H, S, Dh]
@group(0) @binding(2) var<storage, read> k: array<vec4f>;     // [B, H, L, Dh]
@group(0) @binding(3) var<storage, read> v: array<vec4f>;     // [B, H, L, Dh]
@group(0) @binding(4) var<storage, read> lens: array<i32>;    // [B]
@group(0) @binding(5) var<storage, read_write> out: array<vec4f>; // [B, H, S, Dh]

const DH4 = $DH4u;
const WG = 8u;

// Keys row i may see: min(max(len − (S − 1 − i), 0), L).
fn key_end(b: u32, i: u32) -> u32 {
  let e = lens[b] - i32(p.s - 1u - min(i, p.s - 1u));
  return min(u32(max(e, 0)), p.l);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let bh = wid.y + p.bh0;
  let b = bh / p.heads;
  let i = wid.x * WG + lid.x;
  let qi = min(i, p.s - 1u);
  let mine = key_end(b, qi);
  let jend = key_end(b, min(wid.x * WG + WG - 1u, p.s - 1u)); // uniform: the block's last row
  let qo = (bh * p.s + qi) * DH4;
  // @unroll let q{d} = q[qo + {d}u] * p.scale;
  // @unroll var o{d} = vec4f(0.0);
  var m = -3.0e38;
  var l = 0.0;
  let kbase = bh * p.l * DH4;
  for (var j = 0u; j < jend; j++) {
    let kb = kbase + j * DH4;
    var acc = vec4f(0.0);
    // @unroll acc += q{d} * k[kb + {d}u];
    let sc = (acc.x + acc.y) + (acc.z + acc.w);
    if (j < mine) {
      let mn = max(m, sc);
      let c = exp(m - mn);
      let e = exp(sc - mn);
      l = l * c + e;
      m = mn;
      // @unroll o{d} = o{d} * c + e * v[kb + {d}u];
    }
  }
  if (i < p.s) {
    let inv = select(0.0, 1.0 / l, l > 0.0);
    let oo = (bh * p.s + i) * DH4;
    // @unroll out[oo + {d}u] = o{d} * inv;
  }
}
