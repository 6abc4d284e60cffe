// A deterministic CSR index of an i32 id list, built without atomics: the (id, position)
// pairs are sorted by a bottom-up merge sort (one dispatch per doubling of the run width,
// each element finds its place by a binary search in the neighbouring run), then each row's
// segment start is found by binary search. Keys are unique, so the order is fully defined
// and positions ascend within a row: scatter-adds sum duplicates in a fixed order.
struct Params { n: u32, rows: u32, width: u32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// The three entry points share one layout; pairs are stored as two consecutive words.
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn pair(k: u32) -> vec2u { return vec2u(src[2u * k], src[2u * k + 1u]); }

fn linear(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

fn before(a: vec2u, b: vec2u) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }

// keys[i] = (row, i) from the i32 ids; ids outside [0, rows) get the sentinel row `rows`
// and sort last.
@compute @workgroup_size(64)
fn init(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let id = bitcast<i32>(src[i]);
  dst[2u * i] = select(p.rows, u32(id), id >= 0 && u32(id) < p.rows);
  dst[2u * i + 1u] = i;
}

// Merges sorted runs of `width` pairwise: rank in own run + rank in the partner run.
@compute @workgroup_size(64)
fn merge(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let key = pair(i);
  let run = i / p.width;
  let own = run * p.width;
  let other = (run ^ 1u) * p.width;
  let base = (run & ~1u) * p.width;
  var hi = 0u;
  if (other < p.n) { hi = min(p.width, p.n - other); }
  var lo = 0u;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (before(pair(other + mid), key)) { lo = mid + 1u; } else { hi = mid; }
  }
  let to = base + (i - own) + lo;
  dst[2u * to] = key.x;
  dst[2u * to + 1u] = key.y;
}

// offsets[r] (dst) = first sorted (src) position whose row is ≥ r, for r = 0..rows (offsets[rows] is
// the number of valid ids).
@compute @workgroup_size(64)
fn starts(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = linear(gid, nwg);
  if (r > p.rows) { return; }
  var lo = 0u;
  var hi = p.n;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (src[2u * mid] < r) { lo = mid + 1u; } else { hi = mid; }
  }
  dst[r] = lo;
}
