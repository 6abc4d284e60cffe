// Row kernels, scalar variant (rows whose length is not a multiple of 4): T is one element.
alias T = f32;
fn hmax(v: f32) -> f32 { return v; }
fn hsum(v: f32) -> f32 { return v; }
