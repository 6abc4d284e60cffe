// Max of x, viewed as [outer, len, inner], over chunks of len, with the position of the
// maximum along len. Ties go to the first (lowest) position: a later element replaces the
// running maximum only if strictly greater. `first_pass` reads raw values (position = l);
// `next_pass` reduces the (value, position) pairs of an earlier pass.
struct Params { n_out: u32, len: u32, inner: u32, chunk: u32, n_chunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_idx: array<i32>;
@group(0) @binding(4) var<storage, read> x_idx: array<i32>;

struct Span { j: u32, start: u32, end: u32, at: u32 }

fn span(j: u32) -> Span {
  let i = j % p.inner;
  let c = (j / p.inner) % p.n_chunks;
  let o = j / (p.inner * p.n_chunks);
  let start = c * p.chunk;
  return Span(j, start, min(p.len, start + p.chunk), (o * p.len + start) * p.inner + i);
}

@compute @workgroup_size(64)
fn first_pass(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n_out) { return; }
  let s = span(j);
  var at = s.at;
  var best = x[at];
  var best_l = s.start;
  for (var l = s.start + 1u; l < s.end; l++) {
    at += p.inner;
    let v = x[at];
    if (v > best) { best = v; best_l = l; }
  }
  out[j] = best;
  out_idx[j] = i32(best_l);
}

@compute @workgroup_size(64)
fn next_pass(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n_out) { return; }
  let s = span(j);
  var at = s.at;
  var best = x[at];
  var best_i = x_idx[at];
  for (var l = s.start + 1u; l < s.end; l++) {
    at += p.inner;
    let v = x[at];
    if (v > best) { best = v; best_i = x_idx[at]; }
  }
  out[j] = best;
  out_idx[j] = best_i;
}
