/**
 * Determinism: the same seed gives bit-identical training losses over 10 steps (dropout
 * on), in two model instances of one process and in a second `deno run` process.
 */

import assert from "node:assert/strict";
import { gpuReady } from "../helpers.ts";
import { seededRun } from "./determinism_run.ts";

await gpuReady();

Deno.test("determinism: same seed, bit-identical losses in two instances and two processes", async () => {
  const first = await seededRun(21);
  const second = await seededRun(21);
  assert.deepEqual(second, first, "two instances in one process");
  const other = await seededRun(22);
  assert.notDeepEqual(other.vit, first.vit, "a different seed gives different losses");

  const script = new URL("./determinism_run.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "21"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `child process failed: ${new TextDecoder().decode(out.stderr)}`);
  const lines = Object.fromEntries(
    text.trim().split("\n").map((l) => {
      const [name, ...bits] = l.trim().split(" ");
      return [name, bits];
    }),
  );
  assert.deepEqual(lines.vit, first.vit, "ViT losses in a second process");
  assert.deepEqual(lines.lm, first.lm, "LM losses in a second process");
  console.log(`vit ${first.vit.slice(0, 3).join(" ")} … (10 steps), lm ${first.lm[9]} at step 10`);
});
