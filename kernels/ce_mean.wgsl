// Mean negative log-likelihood over the counted rows, in one invocation with a fixed order:
// rows are summed in chunks of 64 whose partial sums are then added (rounding error grows
// with 64 + N/64 rather than N). No counted row gives loss 0 and count 0 (never NaN).
struct Params { n: u32, v: u32, ignore: i32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> logp: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> count: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  var c = 0u;
  for (var k = 0u; k < p.n; k += 64u) {
    var part = 0.0;
    for (var j = k; j < min(k + 64u, p.n); j++) {
      let t = targets[j];
      if (t >= 0 && u32(t) < p.v && t != p.ignore) {
        part -= logp[j];
        c += 1u;
      }
    }
    total += part;
  }
  loss[0] = select(0.0, total / f32(c), c > 0u);
  count[0] = f32(c);
}
