// Applies a causal mask and/or a key-padding mask to attention scores [B, (H,) Tq, Tk]:
// masked positions are set to `fill` (a large negative number before a softmax; 0 in the
// backward, so masked positions pass no gradient). Causal: key j > query i is masked.
struct Params {
  n: u32, tq: u32, tk: u32, per_b: u32,  // per_b: elements per batch entry (H·Tq·Tk)
  causal: u32, pad_mode: u32, fill: f32, pad0: u32,  // pad_mode: 0 none, 1 lengths, 2 mask
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> pad: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= p.n) { return; }
  let j = idx % p.tk;
  let i = (idx / p.tk) % p.tq;
  let b = idx / p.per_b;
  var ok = p.causal == 0u || j <= i;
  if (p.pad_mode == 1u) { ok = ok && i32(j) < bitcast<i32>(pad[b]); }
  if (p.pad_mode == 2u) { ok = ok && bitcast<f32>(pad[b * p.tk + j]) != 0.0; }
  out[idx] = select(p.fill, src[idx], ok);
}
