// out[o, j, i] = Σ_{r in chunk j} src[o, r, i]: sums the middle dim of an
// [outer, reduced, inner] view, chunk by chunk, in a fixed order (deterministic, no atomics).
// With one chunk this is the whole sum; long reductions run twice (chunks, then their
// partial sums) so no f32 accumulator adds up more than a few thousand terms. One invocation
// per output element, from the launch grid: x along inner, y (folded into z) along
// outer × chunks; the only division is per invocation, not per element read.
override WX: u32 = 64u;
override WY: u32 = 1u;
struct Params { inner: u32, reduced: u32, rows: u32, chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x;
  let row = gid.y + gid.z * nwg.y * WY; // = o * chunks + j
  if (i >= p.inner || row >= p.rows) { return; }
  let o = row / p.chunks;
  let j = row % p.chunks;
  let start = j * p.chunk;
  let end = min(p.reduced, start + p.chunk);
  var off = (o * p.reduced + start) * p.inner + i;
  var acc = 0.0;
  for (var r = start; r < end; r++) {
    acc += src[off];
    off += p.inner;
  }
  out[row * p.inner + i] = acc;
}
