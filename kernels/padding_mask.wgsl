// mask[b, t] = 1 when t < lengths[b], else 0 (a padding mask; causal masks live in attention).
struct Params { b: u32, t: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> lengths: array<i32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.b * p.t) { return; }
  mask[i] = select(0.0, 1.0, i32(i % p.t) < lengths[i / p.t]);
}
