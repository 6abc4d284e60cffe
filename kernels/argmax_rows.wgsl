// out[r] = the index of the largest value of row r of x [N, V] (the first one on ties; NaNs
// never win). One invocation per row.
struct Params { n: u32, v: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.n) { return; }
  let base = r * p.v;
  var best = 0u;
  var top = x[base];
  for (var j = 1u; j < p.v; j++) {
    let e = x[base + j];
    if (e > top || (top != top && e == e)) {
      top = e;
      best = j;
    }
  }
  out[r] = i32(best);
}
