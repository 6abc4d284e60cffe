// dx = g · f'(·) element-wise, four elements per invocation. The gradient expression $GRAD is
// written in g and $V, where $V is x (the op's input) or y (its output): each op reads only
// the one it needs, since every storage load is costly on lavapipe.
struct Params { n4: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gs: array<vec4f>;
@group(0) @binding(2) var<storage, read> vs: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n4) { return; }
  let g = gs[i];
  let $V = vs[i];
  out[i] = $GRAD;
}
