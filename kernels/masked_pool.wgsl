// Masked pooling over the middle axis of x [B, T, D]: out[b, d] = Σ_t m[b, t]·x[b, t, d]·s[b]
// with s[b] = 1/Σ_t m[b, t] for a mean (0 when the mask is all zero) or 1 for a sum. The
// mask is spliced in ($MASK_DECL, $MASK_AT: 1.0 without a mask). s is saved for backward.
struct Params { b: u32, t: u32, d: u32, mean: u32 }
@group(0) @binding(0) var<uniform> p: Params;
override WX: u32 = 64u; // workgroup shape, see src/tensor/ops/grid.ts
override WY: u32 = 1u;
@group(0) @binding(1) var<storage, read> src: array<f32>;          // x, or g in backward
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // pooled, or gx
@group(0) @binding(3) var<storage, read_write> scale: array<f32>; // s[b]
$MASK_DECL

// One invocation per (b, d), summing over t in order.
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.b * p.d) { return; }
  let b = i / p.d;
  let d = i % p.d;
  var acc = 0.0;
  var weight = 0.0;
  for (var t = 0u; t < p.t; t++) {
    let bt = b * p.t + t;
    let m = $MASK_AT;
    // Skipping m = 0 keeps padding positions out even if they hold inf or NaN.
    if (m != 0.0) { acc += m * src[bt * p.d + d]; }
    weight += m;
  }
  var s = 1.0;
  if (p.mean != 0u) { s = select(0.0, 1.0 / weight, weight != 0.0); }
  out[i] = acc * s;
  if (d == 0u) { scale[b] = s; }
}

// gx[b, t, d] = g[b, d]·m[b, t]·s[b], one invocation per element of x (grid: x over d,
// y/z over rows bt; see src/tensor/ops/grid.ts).
@compute @workgroup_size(WX, WY)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let d = gid.x;
  let bt = gid.y + gid.z * nwg.y * WY;
  if (d >= p.d || bt >= p.b * p.t) { return; }
  let b = bt / p.t;
  let m = $MASK_AT;
  out[bt * p.d + d] = src[b * p.d + d] * m * scale[b];
}
