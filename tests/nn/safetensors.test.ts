import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
} from "../../src/nn/safetensors.ts";

function bytesOf(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

Deno.test("safetensors: parses a byte string built by hand per the spec", () => {
  // Header length 60 (0x3c) as u64 LE, the JSON header (60 bytes, unpadded as the spec
  // allows), then four I32 values little-endian.
  const json = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
  assert.equal(json.length, 0x3c);
  const fixture = bytesOf([0x3c, 0, 0, 0, 0, 0, 0, 0], json, [
    1,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
  ]);
  const a = decodeSafetensors(fixture);
  assert.deepEqual([...a.tensors.keys()], ["test"]);
  assert.equal(a.tensors.get("test")!.dtype, "I32");
  assert.deepEqual(a.tensors.get("test")!.shape, [2, 2]);
  assert.deepEqual([...a.tensors.get("test")!.data], [1, 2, 3, 256]);

  // F32 and I32 with metadata and a space-padded header; values little-endian by hand.
  const h = '{"__metadata__":{"step":"7"},"b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]},' +
    '"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}';
  const pad = " ".repeat((8 - (h.length % 8)) % 8);
  const len = h.length + pad.length;
  const f = bytesOf(
    [len & 255, len >> 8, 0, 0, 0, 0, 0, 0],
    h + pad,
    [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // 1.0, -2.0
    [0x03, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff], // 3, -1
  );
  const b = decodeSafetensors(f);
  assert.deepEqual(b.metadata, { step: "7" });
  assert.deepEqual([...b.tensors.get("a")!.data], [1, -2]);
  assert.ok(b.tensors.get("a")!.data instanceof Float32Array);
  assert.deepEqual([...b.tensors.get("b")!.data], [3, -1]);
  assert.ok(b.tensors.get("b")!.data instanceof Int32Array);
});

Deno.test("safetensors: encode → decode round trip; aligned, deterministic bytes", () => {
  const tensors = {
    "blocks.0.w": {
      dtype: "F32" as const,
      shape: [2, 3],
      data: Float32Array.of(1, 2, 3, 4, 5, -0),
    },
    "a.scalar": { dtype: "F32" as const, shape: [], data: Float32Array.of(NaN) },
    "ids": { dtype: "I32" as const, shape: [3], data: Int32Array.of(-7, 0, 2 ** 31 - 1) },
    "empty": { dtype: "F32" as const, shape: [0, 4], data: new Float32Array(0) },
  };
  const bytes = encodeSafetensors(tensors, { config: '{"d":8}' });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLen % 8, 0);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { config: '{"d":8}' });
  for (const [name, t] of Object.entries(tensors)) {
    const u = back.tensors.get(name)!;
    assert.equal(u.dtype, t.dtype, name);
    assert.deepEqual(u.shape, t.shape, name);
    assert.deepEqual(
      new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      new Uint8Array(t.data.buffer),
      name,
    );
  }
  const reversed = new Map(Object.entries(tensors).reverse());
  assert.deepEqual(encodeSafetensors(reversed, { config: '{"d":8}' }), bytes);
});

Deno.test("safetensors: malformed input is rejected with a clear error", () => {
  const good = encodeSafetensors({ x: { dtype: "F32", shape: [2], data: Float32Array.of(1, 2) } });
  const bad = (b: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeSafetensors(b), (e: Error) => {
      assert.ok(e instanceof SafetensorsError);
      assert.match(e.message, pattern);
      return true;
    });
  bad(good.slice(0, 5), /no header/);
  bad(good.slice(0, good.length - 4), /bad data_offsets|covers|cover/);
  bad(bytesOf(good, [0, 0, 0, 0]), /cover/);
  const h = '{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}';
  bad(bytesOf([h.length, 0, 0, 0, 0, 0, 0, 0], h, [0, 0, 0, 0]), /F16/);
  const h2 = '{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}';
  bad(bytesOf([h2.length, 0, 0, 0, 0, 0, 0, 0], h2, new Array(8).fill(0)), /8 bytes/);
  bad(bytesOf([200, 0, 0, 0, 0, 0, 0, 0], "{}"), /exceeds/);
  assert.throws(() =>
    encodeSafetensors({ x: { dtype: "F32", shape: [3], data: Float32Array.of(1) } })
  );
});
