/**
 * `removeStaleTemporaries` (src/io/atomic.ts): which leftovers of a killed writer it removes,
 * and that it removes nothing else.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { removeStaleTemporaries, temporaryWriterPid } from "../../src/io/atomic.ts";
import { deadPid, listFiles } from "./harness.ts";

Deno.test("temporary names carry the writer's pid; other names are not temporaries", () => {
  assert.equal(temporaryWriterPid("model.safetensors.4242.0badf00d.tmp"), 4242);
  assert.equal(temporaryWriterPid(".pivotlab.lock.17.tmp"), 17);
  assert.equal(temporaryWriterPid(".pivotlab.lock.stale.17"), 17);
  for (
    const name of ["notes.tmp", "a.17.tmp", "a.17.0BADF00D.tmp", "a.x.0badf00d.tmp", "lock.17"]
  ) {
    assert.equal(temporaryWriterPid(name), null, name);
  }
});

Deno.test("dead writers' temporaries are removed, everything else is kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivotlab-temporaries-" });
  try {
    const dead = await deadPid();
    const stale = [
      `.pivotlab.lock.${dead}.tmp`,
      `results.json.${dead}.0badf00d.tmp`,
      `stages/e0/abc/checkpoint/model.safetensors.${dead}.12345678.tmp`,
      `world/w/captions.pvw.${dead}.0000ffff.tmp`,
      `figures/01-a.png.${dead}.abcdef01.tmp`,
      // pid 1 runs, but started after this file was written: the pid was reused.
      `stages/x/metrics.json.1.0badf00d.tmp`,
    ];
    const kept = [
      `stages/x/metrics.json.${Deno.pid}.0badf00d.tmp`, // a live writer (this process)
      `stages/x/done.json.1.0badf00d.tmp`, // pid 1, written after it started
      `other/data.${dead}.0badf00d.tmp`, // a folder pivotlab does not write
      "notes.tmp",
      `keep.${dead}.tmp`,
      "stages/x/metrics.json",
    ];
    for (const f of [...stale, ...kept]) {
      await Deno.mkdir(join(dir, f, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, f), "x");
    }
    await Deno.utime(join(dir, "stages/x/metrics.json.1.0badf00d.tmp"), 0, 0);
    const removed = removeStaleTemporaries(dir, ["stages", "world", "figures"]);
    assert.deepEqual(removed, [...stale].sort());
    assert.deepEqual(listFiles(dir), [...kept].sort());
    assert.deepEqual(removeStaleTemporaries(dir, ["stages", "world", "figures"]), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
