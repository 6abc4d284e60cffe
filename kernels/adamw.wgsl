// One fused AdamW update of one parameter, in place (param, m, v), as torch.optim.AdamW:
//   g = grad · clip;  param *= 1 − lr·wd  (decoupled decay)
//   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//   param −= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),  bc_k = 1 − β_k^t
// lr/bc1, 1 − lr·wd and sqrt(bc2) come precomputed in float64 from the CPU.
// The clip factor is read from stats[2] (written on the GPU by grad_clip.wgsl) when
// use_clip is set, so clipping needs no readback.
struct Params {
  n: u32, use_clip: u32, pad0: u32, pad1: u32,
  step_size: f32, beta1: f32, beta2: f32, eps: f32,
  decay: f32, sqrt_bc2: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var clip = 1.0;
  if (p.use_clip != 0u) { clip = stats[2]; }
  let g = grad[i] * clip;
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = param[i] * p.decay - p.step_size * mi / (sqrt(vi) / p.sqrt_bc2 + p.eps);
}
