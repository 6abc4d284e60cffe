// Seeded dropout, four elements per invocation: element e is kept when the top 24 bits of
// hash(e, seed) = pcg(pcg(e) ^ pcg(seed)) are ≥ threshold (= round(p·2²⁴)), and kept values
// are scaled by 1/(1 − p). Stateless: the backward recomputes the same mask from the hash
// instead of storing it. tests/ref/dropout.ts implements the same hash.
struct Params { n4: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xs: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;

// PCG-RXS-M-XS 32-bit hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020).
fn pcg(v: vec4u) -> vec4u {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> vec4u(28u)) + 4u)) ^ state) * 277803737u;
  return (word >> vec4u(22u)) ^ word;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n4) { return; }
  let e = 4u * i + vec4u(0u, 1u, 2u, 3u);
  let h = pcg(pcg(e) ^ pcg(vec4u(p.seed)));
  let keep = (h >> vec4u(8u)) >= vec4u(p.threshold);
  out[i] = select(vec4f(0.0), xs[i] * p.scale, keep);
}
