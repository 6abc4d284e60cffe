import assert from "node:assert/strict";

const canRun = (await Deno.permissions.query({ name: "run" })).state === "granted";

async function runWorldTask(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      "tasks/world.ts",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test({
  name: "deno task world: help, bad flags, and a tiny contact sheet",
  ignore: !canRun,
  async fn() {
    const help = await runWorldTask(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--preset <tiny\|small\|paper>/);
    const unknown = await runWorldTask(["--bogus"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /bogus/);
    const badPreset = await runWorldTask(["--out", "x", "--preset", "huge"]);
    assert.notEqual(badPreset.code, 0);
    assert.match(badPreset.stderr, /--preset must be one of tiny, small, paper/);
    const badN = await runWorldTask(["--out", "x", "--n", "many"]);
    assert.match(badN.stderr, /--n must be an integer/);
    const out = await Deno.makeTempDir({ prefix: "pivotlab-sheet-" });
    try {
      const ok = await runWorldTask(["--n", "4", "--out", out, "--preset", "tiny"]);
      assert.equal(ok.code, 0, ok.stderr);
      const png = await Deno.readFile(`${out}/contact-sheet.png`);
      assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
