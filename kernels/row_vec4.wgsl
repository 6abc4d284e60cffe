// Row kernels, vec4 variant (row length a multiple of 4): T holds four consecutive elements,
// reduced across lanes once at the end of the row.
alias T = vec4f;
fn hmax(v: vec4f) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn hsum(v: vec4f) -> f32 { return (v.x + v.y) + (v.z + v.w); }
