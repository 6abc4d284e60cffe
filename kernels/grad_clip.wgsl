// Global gradient norm and clip factor from the partial sums of squares (one workgroup).
// stats = [norm before clipping, norm after clipping, clip factor, sum of squares].
// Clip factor as in torch.nn.utils.clip_grad_norm_: min(1, max_norm / (norm + 1e-6));
// max_norm <= 0 means no clipping (factor 1, the norm is still measured).
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32, max_norm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

var<workgroup> acc: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var s = 0.0;
  for (var i = lid.x; i < p.n; i += 64u) { s += partials[i]; }
  acc[lid.x] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w = w >> 1u) {
    if (lid.x < w) { acc[lid.x] += acc[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let total = acc[0];
    let norm = sqrt(total);
    var clip = 1.0;
    if (p.max_norm > 0.0) { clip = min(1.0, p.max_norm / (norm + 1e-6)); }
    stats[0] = norm;
    stats[1] = norm * clip;
    stats[2] = clip;
    stats[3] = total;
  }
}
