// y = log(1 − exp(x)) for log-probabilities x ≤ 0 (x is clamped to ≤ −p.eps so y stays
// finite), and its gradient dx = g · (−exp(x − y)) at the clamped x. Stable on both sides of
// −ln 2 (Mächler's log1mexp): log(−expm1(x)) near 0, log1p(−exp(x)) below. WGSL has neither
// expm1 nor log1p, so both use a short series where the direct formula would cancel.
struct Params { n: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// −expm1(x) = 1 − exp(x) for x ≤ 0, with relative accuracy near 0.
fn neg_expm1(x: f32) -> f32 {
  if (x > -1e-2) {
    return -x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0))));
  }
  return 1.0 - exp(x);
}

// log(1 − u) for 0 ≤ u ≤ 1/2, with accuracy for small u.
fn log1m(u: f32) -> f32 {
  if (u < 1e-2) {
    return -u * (1.0 + u * (0.5 + u * (1.0 / 3.0 + u * 0.25)));
  }
  return log(1.0 - u);
}

fn log1mexp(x: f32) -> f32 {
  if (x > -0.6931471805599453) {
    return log(neg_expm1(x));
  }
  return log1m(exp(x));
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  out[i] = log1mexp(min(xs[i], -p.eps));
}

@group(0) @binding(3) var<storage, read> gs: array<f32>;

// Bound as (params, x, out, g): the gradient entry reads x and g, writes out.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let x = min(xs[i], -p.eps);
  out[i] = -gs[i] * exp(x - log1mexp(x));
}
