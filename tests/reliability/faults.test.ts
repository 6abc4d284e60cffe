/**
 * The fault suite of issue 9, on `tiny` (`reproduce --preset tiny --only pretrain` as a child
 * process, unless said otherwise; those runs checkpoint every 10 steps via
 * PIVOTLAB_CHECKPOINT_EVERY, which equals tiny's logEvery, so curves are unchanged):
 *
 * - kill -9 at several points (world generation, a stage's first partial checkpoint, a later
 *   stage's partial checkpoint, a fixed share of the baseline's wall time), rerun the same
 *   command, and compare results.json with an uninterrupted run byte for byte on the canonical
 *   projection (harness.ts `EXCLUDED` lists the fields left out: times, dates, cached flags,
 *   folders, commit); no temporary file survives the rerun. One kill lands inside an atomic
 *   write (the moment a checkpoint's temporary file is created): the rerun removes what it
 *   left, saying so in one line;
 * - SFT vs DPO (`reproduce --preset tiny --only sft-vs-dpo`, no test hook): from a copy of the
 *   uninterrupted run (shared with the end-to-end test, tests/experiments/tiny_reproduce.ts)
 *   the folders of five stages are removed (a Stage-1a and a Stage-1b run, a DPO reference
 *   cache, a DPO Stage-2 run, a validation evaluation); the same command then meets each of
 *   them in turn and is interrupted inside it (kill -9 mid-1a, Ctrl-C mid-1b: exit 130,
 *   checkpoint, resume; kill -9 inside the reference cache, at step 3 of Stage 2, inside the
 *   evaluation) and rerun, until it ends: every recomputed checkpoint, reference file and
 *   evaluation is bit-identical to the uninterrupted run's and so is results.json (canonical
 *   projection). The stages after a recomputed one are the uninterrupted run's (cached): the
 *   bit-identical checkpoints are what makes them valid. Then a byte flipped in the DPO
 *   reference cache is named, with the remedy, by the DPO run that reads it;
 * - a killed writer's temporary files (as `kill -9` between write and rename leaves them) are
 *   removed by the next run with a one-line note; nothing else is touched;
 * - a stop between two log points (toy loop, in process) resumes to the same loss curve;
 * - flip bytes in / truncate a partial checkpoint, a world split and a stage record; a
 *   foreign checkpoint and another stage's done.json: one clear message naming the file and
 *   the remedy, non-zero exit, the damaged file left in place;
 * - two runs on one folder: the second refuses naming the holder; a stale lock of a dead pid
 *   is taken over with a note;
 * - bad input: unknown flag, invalid preset, a read-only folder and a 1 MiB tmpfs (mounted
 *   here; if mounting is impossible the fault fails saying so), no WebGPU adapter (the Vulkan
 *   loader pointed at a driver list that does not exist, which makes requestAdapter() return
 *   null), the report (5 MB) written into a 1 MiB tmpfs: clear message, non-zero exit, no
 *   temporary or half-written file (an output folder the run created is removed again);
 * - a NaN gradient with a finite loss (in process, toy MLP): the diagnostic names the
 *   parameter and the step, and the last good checkpoint stays.
 *
 * Prints "faults tried: N, survived: M" and writes the tally to
 * runs/test-artifacts/reliability/faults.json. Alone it takes about 5 minutes on this
 * 2-core machine, more than half of it the shared uninterrupted SFT-vs-DPO run, which in
 * `deno task test` the end-to-end test has already made.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  canonicalResults,
  copyDir,
  deadPid,
  ENV,
  findPartial,
  flipByte,
  leftovers,
  listFiles,
  reproduceArgs,
  ROOT,
  run,
  start,
  Tally,
  temporaries,
  truncate,
  waitFor,
  waitForCreated,
} from "./harness.ts";
import { readSplitFile } from "../../src/world/storage.ts";
import { MLP } from "../../src/nn/layers.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { crossEntropy } from "../../src/tensor/ops/loss.ts";
import { scale, sqrt, square } from "../../src/tensor/ops/unary.ts";
import { add } from "../../src/tensor/ops/binary.ts";
import { sum } from "../../src/tensor/ops/reduce.ts";
import { reshape } from "../../src/tensor/ops/shape_ops.ts";
import { Rng } from "../../src/tensor/random.ts";
import { NonFiniteGradientError, StageInterrupted, trainLoop } from "../../src/train/loop.ts";
import { LOCK_FILE } from "../../src/io/lock.ts";
import { writeReproduceReport } from "../../src/report/reproduce_report.ts";
import { gpuReady } from "../helpers.ts";
import { tinyReproduce } from "../experiments/tiny_reproduce.ts";
import { sftVsDpoChain } from "./sft_vs_dpo_chain.ts";

await gpuReady();

const tally = new Tally();

/** A run that was killed, then rerun to the end, matches the baseline. */
async function killAndResume(
  base: string,
  out: string,
  when: (child: ReturnType<typeof start>) => Promise<string>,
  keep?: string,
  leavesTemporaries = false,
): Promise<string> {
  const child = start(reproduceArgs(out));
  const point = await when(child);
  try {
    child.process.kill("SIGKILL");
  } catch { /* already finished */ }
  const killed = await child.done;
  assert.equal(killed.signal, "SIGKILL", `the child ended before the kill point (${point})`);
  const left = temporaries(out).length;
  if (leavesTemporaries) assert.ok(left > 0, "the kill left no temporary file");
  if (keep) await copyDir(out, keep);
  const again = await run(reproduceArgs(out));
  assert.equal(again.code, 0, again.stderr.slice(-2000));
  assert.match(again.stderr, /took over a stale lock/);
  assert.deepEqual(leftovers(out), [], "temporary files or partial checkpoints left");
  if (left > 0) assert.match(again.stderr, /removed \d+ temporary files? of a dead run/);
  const [a, b] = [await canonicalResults(base), await canonicalResults(out)];
  assert.ok(a === b, "results.json (canonical projection) differs from the uninterrupted run");
  const resumed = /resuming from step (\d+)/.exec(again.stderr);
  return `killed ${point}; rerun ${resumed ? `resumed from step ${resumed[1]}` : "restarted"}` +
    `, results identical (${b.length} canonical bytes)` +
    (left > 0 ? `, ${left} temporary file(s) of the killed run removed` : "");
}

/** Reruns `out` and expects a non-zero exit whose message names `file` and matches `re`. */
async function expectClearError(out: string, file: string, re: RegExp): Promise<string> {
  const before = listFiles(out);
  const r = await run(reproduceArgs(out));
  assert.notEqual(r.code, 0, "a damaged file was not detected");
  assert.ok(r.stderr.includes(file), `message does not name ${file}:\n${r.stderr.slice(-1500)}`);
  assert.match(r.stderr, re);
  const after = listFiles(out);
  const lost = before.filter((f) => !after.includes(f) && f !== LOCK_FILE);
  assert.deepEqual(lost, [], "files were deleted");
  const line = r.stderr.split("\n").find((l) => l.includes(file)) ?? "";
  return `exit ${r.code}: ${line.slice(0, 160)}`;
}

async function mountTmpfs(dir: string, options: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const r = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stderr: "piped",
  }).output().catch((e) => ({ code: -1, stderr: new TextEncoder().encode(String(e)) }));
  if (r.code !== 0) {
    throw new Error(
      `cannot mount a tmpfs at ${dir} (${new TextDecoder().decode(r.stderr).trim()}): ` +
        `this fault needs root (mount -t tmpfs); not skipped, failed`,
    );
  }
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output().catch(() => {});
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * A toy run of 16 steps logged every 4 and checkpointed every 8, stopped after each of
 * `stops` steps (stopAfterSteps) and resumed: its curve, and the steps it stopped at.
 */
async function toyRun(dir: string, stops: number[]) {
  const result = { curve: [] as unknown[], stops: [] as number[] };
  for (let call = 0; call <= stops.length; call++) {
    const model = new MLP(8, 16, 4, new Rng(1), { std: 0.3 });
    const optimizer = new AdamW(decayGroups(model.parameters(), { lr: 1e-2, weightDecay: 0 }), {
      maxGradNorm: 1,
    });
    const xs = new Rng(2).normals(16 * 8);
    try {
      const r = await trainLoop({
        name: "stop-toy",
        model,
        optimizer,
        totalSteps: 16,
        samplesPerStep: 4,
        logEvery: 4,
        checkpoint: { dir: join(dir, "partial"), every: 8 },
        stopAfterSteps: stops[call],
        progress: false,
        log: () => {},
        batch: (step) => ({
          x: tensor(xs.subarray((step % 4) * 32, (step % 4) * 32 + 32), [4, 8]),
          y: tensor(Int32Array.from({ length: 4 }, (_, i) => (i + step) % 4), [4], "i32"),
        }),
        loss: (b) => crossEntropy(model.forward(b.x), b.y),
      });
      result.curve = r.curve;
    } catch (e) {
      if (!(e instanceof StageInterrupted)) throw e;
      result.stops.push(e.step!);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  }
  return result;
}

Deno.test({
  name:
    "fault suite: kill -9 and Ctrl-C (pretraining, SFT vs DPO), corruption, locks, bad input, NaN (tiny)",
  // Child reproduce runs are killed with SIGKILL mid-write: their pipes and timers are torn
  // down outside this test's op bookkeeping, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "pivotlab-faults-" });
    const t0 = performance.now();
    try {
      // The uninterrupted run everything is compared with.
      const base = join(tmp, "base");
      const first = await run(reproduceArgs(base));
      assert.equal(first.code, 0, first.stderr.slice(-2000));
      const baseSeconds = first.seconds;
      console.log(`baseline: ${baseSeconds.toFixed(1)} s`);

      // --- kill -9 at several points, rerun, compare -----------------------------------
      const killedCopy = join(tmp, "killed-e0-partial");
      await tally.fault(
        "kill -9 during world generation",
        () =>
          killAndResume(base, join(tmp, "k1"), async () => {
            const out = join(tmp, "k1");
            assert.ok(
              await waitFor(
                () => listFiles(join(out, "world")).some((f) => f.endsWith(".pvw")),
                60e3,
              ),
            );
            return "after the first world split was written";
          }),
      );
      await tally.fault(
        "kill -9 at the first partial checkpoint (e0)",
        () =>
          killAndResume(base, join(tmp, "k2"), async () => {
            const out = join(tmp, "k2");
            assert.ok(
              await waitFor(() => findPartial(out) !== null, 60e3),
              "no partial checkpoint",
            );
            return `after ${findPartial(out)} appeared`;
          }, killedCopy),
      );
      await tally.fault(
        "kill -9 at a partial checkpoint of the second stage (l0)",
        () =>
          killAndResume(base, join(tmp, "k3"), async () => {
            const out = join(tmp, "k3");
            assert.ok(
              await waitFor(() => (findPartial(out) ?? "").startsWith("l0-"), 90e3),
              "no l0 partial checkpoint",
            );
            return `after ${findPartial(out)} appeared`;
          }),
      );
      await tally.fault(
        "kill -9 during an atomic write (a checkpoint's model.safetensors)",
        async () => {
          // The kill races the write's rename: on a loaded machine it can land just after it,
          // leaving nothing to clean. Such an attempt did not exercise the fault; try again.
          for (let attempt = 1;; attempt++) {
            const dir = join(tmp, `k5-${attempt}`);
            try {
              return await killAndResume(
                base,
                dir,
                async () => {
                  const file = await waitForCreated(
                    dir,
                    /\/model\.safetensors\.\d+\.[0-9a-f]{8}\.tmp$/,
                    60e3,
                  );
                  assert.ok(file, "no checkpoint write seen");
                  return `as ${file.replace(/^.*\/stages\//, "")} was being written` +
                    (attempt > 1 ? ` (attempt ${attempt})` : "");
                },
                undefined,
                true,
              );
            } catch (e) {
              const missed = /the kill left no temporary file/.test((e as Error).message);
              if (!missed || attempt >= 4) throw e;
            }
          }
        },
      );
      await tally.fault(
        "kill -9 at 55% of the baseline's wall time",
        () =>
          killAndResume(base, join(tmp, "k4"), async () => {
            await new Promise((r) => setTimeout(r, baseSeconds * 550));
            return `after ${(baseSeconds * 0.55).toFixed(1)} s`;
          }),
      );

      // --- damaged files ----------------------------------------------------------------
      const partialOf = async (name: string) => {
        const dir = join(tmp, name);
        await copyDir(killedCopy, dir);
        const meta = findPartial(dir);
        assert.ok(meta, "the killed copy has no partial checkpoint");
        return { dir, partial: join(dir, "stages", meta.replace(/\/meta\.json$/, "")) };
      };
      await tally.fault("byte flipped in a partial checkpoint (model.safetensors)", async () => {
        const { dir, partial } = await partialOf("c1");
        const file = join(partial, "model.safetensors");
        await flipByte(file, -17);
        return await expectClearError(dir, file, /content hash mismatch[\s\S]*--force e0-/);
      });
      await tally.fault("truncated partial checkpoint (optimizer.safetensors)", async () => {
        const { dir, partial } = await partialOf("c2");
        const file = join(partial, "optimizer.safetensors");
        await truncate(file, 0.5);
        return await expectClearError(dir, file, /content hash mismatch[\s\S]*--force e0-/);
      });
      await tally.fault("byte flipped in partial checkpoint meta.json", async () => {
        const { dir, partial } = await partialOf("c3");
        const file = join(partial, "meta.json");
        const text = await Deno.readTextFile(file);
        await Deno.writeTextFile(
          file,
          text.replace(/"step": (\d)/, (_, d) => `"step": ${(+d + 1) % 10}`),
        );
        return await expectClearError(dir, file, /hash mismatch|not a training-loop/);
      });
      const baseCopy = async (name: string) => {
        const dir = join(tmp, name);
        await copyDir(base, dir);
        return dir;
      };
      const worldFile = (dir: string, split: string) =>
        join(dir, "world", listFiles(join(dir, "world")).find((f) => f.endsWith(`/${split}.pvw`))!);
      // Splits are read when a running stage needs them, so damage them in the killed copy:
      // the resumed e0 reads captions (and segmentation_test for its evaluation).
      await tally.fault("byte flipped in a world split file (captions, read by e0)", async () => {
        const { dir } = await partialOf("c4");
        const file = worldFile(dir, "captions");
        await flipByte(file, -5);
        return await expectClearError(dir, file, /content hash mismatch.*delete it to regenerate/);
      });
      await tally.fault("truncated world split file (read by the resumed stage)", async () => {
        const { dir } = await partialOf("c5");
        // Whichever split the killed run had written besides captions (lazy generation).
        const names = listFiles(join(dir, "world")).map((f) => f.replace(/^.*\//, ""));
        const split = names.includes("segmentation_test.pvw") ? "segmentation_test" : "captions";
        const file = worldFile(dir, split);
        await truncate(file, 0.4);
        return await expectClearError(
          dir,
          file,
          /world split file .*(hash mismatch|corrupted|magic)/,
        );
      });
      await tally.fault("byte flipped in a finished stage's metrics.json", async () => {
        const dir = await baseCopy("c6");
        const file = join(
          dir,
          "stages",
          listFiles(join(dir, "stages")).find((f) =>
            f.startsWith("l0-") && f.endsWith("/metrics.json")
          )!,
        );
        const text = await Deno.readTextFile(file);
        await Deno.writeTextFile(
          file,
          text.replace(/(\d)(\d*,)/, (_, d, r) => `${(+d + 1) % 10}${r}`),
        );
        return await expectClearError(dir, file, /content hash mismatch.*--force l0-/);
      });
      await tally.fault("another stage's done.json (wrong config key)", async () => {
        const dir = await baseCopy("c7");
        const files = listFiles(join(dir, "stages"));
        const e0 = files.find((f) => f.startsWith("e0-") && f.endsWith("/done.json"))!;
        const l0 = files.find((f) => f.startsWith("l0-") && f.endsWith("/done.json"))!;
        for (const suffix of ["", ".sha256"]) {
          await Deno.copyFile(join(dir, "stages", e0 + suffix), join(dir, "stages", l0 + suffix));
        }
        const file = join(dir, "stages", l0);
        return await expectClearError(dir, file, /belongs to another stage.*--force l0-/);
      });
      await tally.fault("foreign checkpoint as a partial checkpoint (wrong shapes)", async () => {
        const dir = await baseCopy("c8");
        const files = listFiles(join(dir, "stages"));
        const e0ck = join(
          dir,
          "stages",
          files.find((f) => /^e0-.*\/checkpoint\/meta\.json$/.test(f))!,
          "..",
        );
        const l0done = join(
          dir,
          "stages",
          files.find((f) => f.startsWith("l0-") && f.endsWith("/done.json"))!,
        );
        const partial = join(l0done, "..", "partial");
        await Deno.remove(l0done);
        await Deno.remove(l0done + ".sha256");
        await copyDir(e0ck, partial);
        return await expectClearError(
          dir,
          join(partial, "model.safetensors"),
          /does not fit[\s\S]*--force l0-/,
        );
      });

      // --- locks --------------------------------------------------------------------------
      await tally.fault("two runs on one output folder", async () => {
        const out = join(tmp, "l1");
        const a = start(reproduceArgs(out));
        try {
          assert.ok(await waitFor(() => listFiles(out).includes(LOCK_FILE), 30e3), "no lock file");
          const b = await run(reproduceArgs(out));
          assert.equal(b.code, 75, b.stderr);
          assert.match(b.stderr, new RegExp(`in use by pid ${a.process.pid} on `));
          return `second run exit 75: ${b.stderr.trim().split("\n")[0].slice(0, 140)}`;
        } finally {
          try {
            a.process.kill("SIGKILL");
          } catch { /* done */ }
          await a.done;
        }
      });
      await tally.fault("stale lock of a dead process", async () => {
        const dir = await baseCopy("l2");
        const dead = { pid: await deadPid() };
        await Deno.writeTextFile(
          join(dir, LOCK_FILE),
          JSON.stringify({
            pid: dead.pid,
            hostname: Deno.hostname(),
            startedAt: new Date().toISOString(),
            procStart: null,
            command: "reproduce (killed)",
          }),
        );
        const r = await run(reproduceArgs(dir));
        assert.equal(r.code, 0, r.stderr.slice(-1500));
        assert.match(r.stderr, new RegExp(`took over a stale lock .* pid ${dead.pid}`));
        assert.ok(!listFiles(dir).includes(LOCK_FILE), "lock not released at exit");
        return "taken over with a note, released at exit";
      });

      // --- bad input ----------------------------------------------------------------------
      await tally.fault("unknown flag and invalid preset", async () => {
        const out = join(tmp, "b1");
        const unknown = await run([...reproduceArgs(out), "--bogus"]);
        assert.equal(unknown.code, 2);
        assert.match(unknown.stderr, /bogus/);
        const preset = await run([
          "run",
          "-A",
          "tasks/reproduce.ts",
          "--preset",
          "huge",
          "--out",
          out,
        ]);
        assert.equal(preset.code, 2);
        assert.match(preset.stderr, /--preset must be one of tiny, small, paper/);
        assert.deepEqual(listFiles(out), [], "files were written");
        return "exit 2 twice, nothing written";
      });
      await tally.fault("read-only output folder", async () => {
        const out = join(tmp, "ro");
        await mountTmpfs(out, "ro,size=1m");
        try {
          const r = await run(reproduceArgs(out));
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /cannot write .*(permission denied|read-only)/i);
          assert.deepEqual(listFiles(out), []);
          return `exit ${r.code}: ${r.stderr.trim().split("\n")[0].slice(0, 140)}`;
        } finally {
          await umount(out);
        }
      });
      await tally.fault("full output folder (1 MiB tmpfs)", async () => {
        const out = join(tmp, "full");
        await mountTmpfs(out, "size=1m");
        try {
          const r = await run(reproduceArgs(out));
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /no space left/i, r.stderr.slice(-1500));
          const files = listFiles(out);
          assert.deepEqual(
            files.filter((f) => /\.tmp$|-next\//.test(f)),
            [],
            "temporary files left",
          );
          assert.ok(!files.includes(LOCK_FILE), "lock left behind");
          for (const f of files.filter((f) => f.endsWith(".pvw"))) {
            await readSplitFile(join(out, f));
          }
          const line = r.stderr.split("\n").find((l) => /no space/i.test(l)) ?? "";
          return `exit ${r.code}, ${files.length} complete files kept: ${line.slice(0, 140)}`;
        } finally {
          await umount(out);
        }
      });

      await tally.fault("temporary files of a killed writer", async () => {
        const dir = await baseCopy("t1");
        const pid = await deadPid();
        const files = listFiles(dir);
        const model = files.find((f) => /^stages\/e0-.*\/checkpoint\/model\.safetensors$/.test(f))!;
        const split = files.find((f) => f.endsWith("/captions.pvw"))!;
        // What kill -9 between the temporary write and the rename leaves (atomic.ts, lock.ts).
        const stale = [
          `${model}.${pid}.0badf00d.tmp`,
          `${split}.${pid}.12345678.tmp`,
          `.pivotlab.lock.${pid}.tmp`,
        ];
        // Not ours to remove: a live writer's temporary, and files that only look alike.
        const kept = [`stages/notes.${Deno.pid}.abcdef12.tmp`, "notes.tmp", `keep.${pid}.tmp`];
        for (const f of [...stale, ...kept]) await Deno.writeTextFile(join(dir, f), "partial");
        const r = await run(reproduceArgs(dir));
        assert.equal(r.code, 0, r.stderr.slice(-1500));
        const notes = r.stderr.split("\n").filter((l) => /temporary file/.test(l));
        assert.equal(notes.length, 1, `expected one line about temporaries:\n${r.stderr}`);
        assert.match(notes[0], /removed 3 temporary files of a dead run/);
        const after = listFiles(dir);
        for (const f of stale) assert.ok(!after.includes(f), `${f} was not removed`);
        for (const f of kept) assert.ok(after.includes(f), `${f} was removed`);
        const lost = files.filter((f) => !after.includes(f));
        assert.deepEqual(lost, [], "other files were removed");
        assert.equal(await canonicalResults(dir), await canonicalResults(base));
        return notes[0].slice(0, 150);
      });
      await tally.fault("no WebGPU adapter (Vulkan driver list pointing nowhere)", async () => {
        const out = join(tmp, "noadapter");
        const r = await run(reproduceArgs(out), {
          ...ENV,
          DENO_WEBGPU_BACKEND: "vulkan",
          VK_ICD_FILENAMES: join(tmp, "no-such-driver.json"),
        });
        assert.notEqual(r.code, 0);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /no WebGPU adapter found\. VK_ICD_FILENAMES names .*mesa-vulkan/);
        assert.equal(listFiles(out).length, 0);
        assert.ok(!(await exists(out)), "the output folder was left behind");
        return `exit ${r.code}, nothing written: ${lines[0].slice(0, 110)}…`;
      });
      await tally.fault(
        "stop between two log points (toy loop): same curve on resume",
        async () => {
          const dir = join(tmp, "stop");
          const once = await toyRun(join(dir, "once"), []);
          const twice = await toyRun(join(dir, "twice"), [7, 6]);
          assert.deepEqual(twice.stops, [7, 13]);
          assert.deepEqual(twice.curve, once.curve);
          return `stopped at steps 7 and 13 (log every 4): ${once.curve.length} curve points ` +
            `bit-identical`;
        },
      );

      // --- SFT vs DPO: interrupted in five stages, then run to the end -----------------------
      const sftBase = await tinyReproduce();
      await sftVsDpoChain(tally, sftBase, join(tmp, "sft"));
      await tally.fault("full output folder while writing the report (1 MiB tmpfs)", async () => {
        assert.equal(sftBase.code, 0, "the uninterrupted SFT-vs-DPO run failed");
        const out = join(tmp, "report-full");
        await mountTmpfs(out, "size=1m");
        try {
          await Deno.copyFile(join(sftBase.out, "results.json"), join(out, "results.json"));
          const err = await writeReproduceReport(out).then(() => null, (e) => e as Error);
          assert.ok(err, "report.html (5 MB) was written into 1 MiB");
          assert.match(err.message, /cannot write .*report\.html: no space left/);
          const files = listFiles(out);
          assert.deepEqual(temporaries(out), [], "temporary files left");
          assert.ok(!files.includes("report.html"), "a partial report.html was left");
          for (const f of files.filter((f) => f.endsWith(".png"))) {
            const png = await Deno.readFile(join(out, f));
            const iend = new TextDecoder().decode(png.subarray(png.length - 8, png.length - 4));
            assert.equal(iend, "IEND", `${f} is not a complete PNG`);
          }
          return `${err.message.slice(0, 120)}…; ${files.length - 1} complete figures kept`;
        } finally {
          await umount(out);
        }
      });

      // --- NaN gradient with a finite loss ------------------------------------------------
      await tally.fault("injected NaN gradient (finite loss)", async () => {
        const dir = join(tmp, "nan");
        const model = new MLP(8, 16, 4, new Rng(1), { std: 0.3 });
        const optimizer = new AdamW(decayGroups(model.parameters(), { lr: 1e-2, weightDecay: 0 }), {
          maxGradNorm: 1,
        });
        const [targetName, target] = model.namedParameters()[2];
        const rng = new Rng(2);
        const xs = rng.normals(16 * 8);
        const ys = Int32Array.from({ length: 16 }, (_, i) => i % 4);
        try {
          const err = await trainLoop({
            name: "nan-toy",
            model,
            optimizer,
            totalSteps: 40,
            samplesPerStep: 16,
            logEvery: 5,
            checkpoint: { dir: join(dir, "partial"), every: 10 },
            progress: false,
            log: () => {},
            batch: () => ({ x: tensor(xs, [16, 8]), y: tensor(ys, [16], "i32") }),
            loss: (b, step) => {
              const l = crossEntropy(model.forward(b.x), b.y);
              if (step !== 14) return l;
              // sqrt(0 · p²): forward 0, backward 0 · ∞ = NaN into `target`'s gradient only.
              const poison = sum(reshape(sqrt(scale(square(target), 0)), [target.size]), 0);
              return add(l, poison);
            },
          }).then(() => null, (e) => e);
          assert.ok(err instanceof NonFiniteGradientError, String(err));
          assert.equal(err.tensor, targetName);
          assert.match(err.message, /at step 15 \(the loss was finite\)/);
          assert.match(err.message, /last good checkpoint \(step 10\)/);
          const meta = JSON.parse(await Deno.readTextFile(join(dir, "partial", "meta.json")));
          assert.equal(meta.step, 10);
          return err.message.split(";")[0];
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      });
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      console.log(tally.summary());
      console.log(`fault suite: ${seconds.toFixed(1)} s`);
      await tally.record(join(ROOT, "runs/test-artifacts/reliability/faults.json"), seconds);
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
    assert.deepEqual(tally.failures, [], `faults not survived:\n${tally.failures.join("\n")}`);
  },
});
