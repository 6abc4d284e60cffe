// Numerically stable helpers shared by the unary kernels, on vec4f (four elements at once).
// Written out because WGSL has no log1p and the built-in tanh loses precision near 0.

// log(1 + u) for u ≥ 0: a short series where 1 + u would round away most of u.
fn log1p_stable(u: vec4f) -> vec4f {
  let series = u * (1.0 - u * (0.5 - u * (1.0 / 3.0 - u * 0.25)));
  return select(log(1.0 + u), series, u < vec4f(1e-2));
}

// 1 / (1 + exp(-x)) without overflow for large |x|.
fn sigmoid_stable(x: vec4f) -> vec4f {
  let e = exp(-abs(x));
  let r = 1.0 / (1.0 + e);
  return select(e * r, r, x >= vec4f(0.0));
}

// tanh via exp(-2|x|) (never overflows), with a series near 0 for relative accuracy.
fn tanh_stable(x: vec4f) -> vec4f {
  let e = exp(-2.0 * abs(x));
  let x2 = x * x;
  let series = x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
  return select(sign(x) * (1.0 - e) / (1.0 + e), series, abs(x) < vec4f(0.05));
}

// GELU, tanh approximation (as GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
const GELU_K: f32 = 0.7978845608028654;
fn gelu_tanh(x: vec4f) -> vec4f {
  return 0.5 * x * (1.0 + tanh_stable(GELU_K * (x + 0.044715 * x * x * x)));
}
fn gelu_tanh_grad(x: vec4f) -> vec4f {
  let x2 = x * x;
  let t = tanh_stable(GELU_K * x * (1.0 + 0.044715 * x2));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * 0.044715 * x2);
}
