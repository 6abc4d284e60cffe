import { sizeClass } from "../../src/gpu/pool.ts";

Deno.test("pool size classes: multiples of 16, at least the request, at most 25% (or 255 B) over", () => {
  let last = 0;
  for (let bytes = 1; bytes < 1 << 26; bytes = Math.ceil(bytes * 1.07) + 3) {
    const c = sizeClass(bytes);
    if (c % 16 !== 0 || c < bytes) throw new Error(`sizeClass(${bytes}) = ${c}`);
    if (c > Math.max(bytes * 1.25, bytes + 255)) {
      throw new Error(`sizeClass(${bytes}) = ${c} wastes too much`);
    }
    if (c < last) throw new Error(`size classes must not decrease (${bytes} → ${c} after ${last})`);
    last = c;
  }
  // Nearby shapes share a class, which is what lets stages with varying shapes reuse memory.
  if (sizeClass(4 * 2048 * 100) !== sizeClass(4 * 2048 * 104)) {
    throw new Error("nearby sizes should share a class");
  }
});
