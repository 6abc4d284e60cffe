/**
 * The SFT-vs-DPO part of the fault suite: `reproduce --preset tiny --only sft-vs-dpo` is
 * interrupted inside five kinds of stage and rerun until it ends, and everything it
 * recomputed is compared with the uninterrupted run.
 *
 * Cost: a copy of the finished, uninterrupted run loses the folders of five stages, so the
 * reruns recompute only those (and load the rest from the cache) instead of the whole
 * experiment once more. Interrupting a stage and resuming it must give the same bits as never
 * interrupting it; the later stages that read it are then valid as cached, and results.json
 * must match (canonical projection, harness.ts `EXCLUDED`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  canonicalResults,
  copyDir,
  flipByte,
  leftovers,
  listFiles,
  project,
  reproduceArgs,
  startWatched,
  type Tally,
  temporaries,
} from "./harness.ts";
import { canonicalJson } from "../../src/train/stage.ts";
import type { TinyRun } from "../experiments/tiny_reproduce.ts";

/** How a planned stage is interrupted. */
type Interruption =
  | { kind: "kill-at-step"; step: number }
  | { kind: "sigint-at-step"; step: number }
  | { kind: "kill-when-running" };

interface Planned {
  /** What the fault is called in the tally. */
  fault: string;
  name: string;
  /** The stage folder, relative to the output folder. */
  rel: string;
  how: Interruption;
}

interface Folder {
  rel: string;
  key16: string;
  config: Record<string, unknown>;
  inputs: { name: string; key: string }[];
}

/** Stage folders of `name` under `out` with their config.json (sorted by key). */
function stageFolders(out: string, name: string): Folder[] {
  return listFiles(join(out, "stages", name))
    .filter((f) => f.endsWith("/config.json"))
    .sort()
    .map((f) => {
      const c = JSON.parse(Deno.readTextFileSync(join(out, "stages", name, f)));
      const key16 = f.replace(/\/config\.json$/, "");
      return { rel: `stages/${name}/${key16}`, key16, config: c.config, inputs: c.inputs };
    });
}

/**
 * The five interruptions, in the order the run meets them: Stage 1b of the first seed and
 * Stage 1a of the last (Stage 1 runs seed by seed), then a DPO Stage-2 run of the learning-rate
 * sweep (at least 6 steps), preceded by its reference cache and followed by its validation
 * evaluation.
 */
function plan(base: string): Planned[] {
  // Only the SFT-vs-DPO run's own training stages: other tests may have added stages of later
  // parts (the probes' sweeps train their own 1a/1b/Stage 2) to the shared folder.
  const results = JSON.parse(Deno.readTextFileSync(join(base, "results.json")));
  const own = new Set<string>(
    (results.sftVsDpo.stages as { key: string }[]).map((s) => s.key.slice(0, 16)),
  );
  const training = (name: string) => stageFolders(base, name).filter((f) => own.has(f.key16));
  const seeds = training("mllm-1b").map((s) => s.config.seed as number).sort();
  const folder = (name: string, where: (f: Folder) => boolean, from = stageFolders(base, name)) => {
    const found = from.find(where);
    assert.ok(found, `the uninterrupted run has no ${name} stage to interrupt`);
    return found;
  };
  const dpo = new Map(training("mllm-2-dpo").map((f) => [f.key16, f]));
  const steps = (c: Record<string, unknown>) =>
    (c.size as number) * (c.epochs as number) / (c.batch as number);
  const val = folder("vqa-val", (f) => {
    const input = dpo.get(f.inputs[0]?.key.slice(0, 16));
    return f.inputs[0]?.name === "mllm-2-dpo" && input !== undefined && steps(input.config) >= 6;
  });
  const stage2 = dpo.get(val.inputs[0].key.slice(0, 16))!;
  const refKey = stage2.inputs.find((i) => i.name === "mllm-dpo-ref")!.key.slice(0, 16);
  const ref = folder("mllm-dpo-ref", (f) => f.key16 === refKey);
  return [
    {
      fault: "Ctrl-C inside Stage 1b: exit 130, checkpoint, resume",
      name: "mllm-1b",
      rel: folder("mllm-1b", (f) => f.config.seed === seeds[0], training("mllm-1b")).rel,
      how: { kind: "sigint-at-step", step: 8 },
    },
    {
      fault: "kill -9 inside Stage 1a",
      name: "mllm-1a",
      rel: folder("mllm-1a", (f) => f.config.seed === seeds.at(-1), training("mllm-1a")).rel,
      how: { kind: "kill-at-step", step: 2 },
    },
    {
      fault: "kill -9 inside the DPO reference cache",
      name: "mllm-dpo-ref",
      rel: ref.rel,
      how: { kind: "kill-when-running" },
    },
    {
      fault: "kill -9 at step 3 of a Stage-2 DPO run",
      name: "mllm-2-dpo",
      rel: stage2.rel,
      how: { kind: "kill-at-step", step: 3 },
    },
    {
      fault: "kill -9 inside a validation evaluation",
      name: "vqa-val",
      rel: val.rel,
      how: { kind: "kill-when-running" },
    },
  ];
}

const RUNNING = /stage (\S+) \[[0-9a-f]{16}\]: running \((\S+)\)\n/;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Files of a stage folder that must be bit-identical to the uninterrupted run's. */
function resultFiles(out: string, rel: string): string[] {
  return listFiles(join(out, rel)).filter((f) =>
    /^checkpoint\/.*\.safetensors$/.test(f) || f === "reference_logps.f32"
  );
}

/**
 * Runs the chain in `out` against the uninterrupted run `base`, one tally fault per
 * interruption and one for the final comparison.
 */
export async function sftVsDpoChain(tally: Tally, base: TinyRun, out: string): Promise<void> {
  let planned: Planned[] = [];
  await tally.fault("sft-vs-dpo: copy of the uninterrupted run, five stages removed", async () => {
    assert.equal(base.code, 0, `the uninterrupted run failed:\n${base.log.slice(-1500)}`);
    planned = plan(base.out);
    await copyDir(base.out, out);
    for (const f of ["run.json", "report.html", "results.json", "results.json.sha256"]) {
      await Deno.remove(join(out, f)).catch(() => {});
    }
    await Deno.remove(join(out, "figures"), { recursive: true }).catch(() => {});
    for (const p of planned) await Deno.remove(join(out, p.rel), { recursive: true });
    return planned.map((p) => p.rel.replace(/^stages\//, "")).join(", ");
  });
  if (planned.length === 0) return;

  const args = reproduceArgs(out, "sft-vs-dpo");
  const env = {}; // the command as a user runs it: no test hooks
  const left = new Map(planned.map((p) => [join(out, p.rel), p]));
  let resumeNote: RegExp | null = null;
  for (const p of planned) {
    await tally.fault(p.fault, async () => {
      const child = startWatched(args, env);
      try {
        // The next planned stage that runs (others: cached, or resumed after their fault).
        let from = 0;
        let dir = "";
        for (;;) {
          const m = await child.waitForLine(RUNNING, 300e3, from);
          from += m.index + m[0].length;
          if (left.has(m[2])) {
            dir = m[2];
            break;
          }
        }
        const met = left.get(dir)!;
        assert.equal(met.name, p.name, `expected ${p.name} to run next, met ${dir}`);
        left.delete(dir);
        let point = "as it started";
        if (p.how.kind !== "kill-when-running") {
          const re = new RegExp(`${p.name}: step (\\d+)/(\\d+)`);
          for (;;) {
            const m = await child.waitForLine(re, 120e3, from);
            from += m.index + m[0].length;
            if (Number(m[1]) >= p.how.step) {
              point = `after step ${m[0].replace(/^.*step /, "")}`;
              break;
            }
          }
        }
        const sigint = p.how.kind === "sigint-at-step";
        child.process.kill(sigint ? "SIGINT" : "SIGKILL");
        const r = await child.done;
        const prior = resumeNote;
        resumeNote = null;
        if (prior) assert.match(r.stderr, prior, "the rerun did not resume as expected");
        assert.ok(!(await exists(join(dir, "done.json"))), `${p.name} finished before the stop`);
        if (sigint) {
          assert.equal(r.code, 130, r.stderr.slice(-1500));
          const line = new RegExp(
            `stage ${p.name}: stopped at step (\\d+), checkpointed in (\\S+); ` +
              `run the same command to resume`,
          ).exec(r.stderr);
          assert.ok(line, `no resume line:\n${r.stderr.slice(-1500)}`);
          assert.ok(await exists(join(line[2], "meta.json")), "no checkpoint at the stop");
          resumeNote = new RegExp(`stage ${p.name}: resuming from step ${line[1]}/`);
          assert.ok(!listFiles(out).includes(".pivotlab.lock"), "lock left after Ctrl-C");
          return `${point}: exit 130, "${line[0].replace(out, "<out>")}"`;
        }
        assert.equal(r.signal, "SIGKILL", `ended before the kill: ${r.stderr.slice(-800)}`);
        resumeNote = /took over a stale lock/;
        const tmp = temporaries(out).length;
        return `killed ${point}${tmp ? `, ${tmp} temporary file(s) left by it` : ""}`;
      } finally {
        try {
          child.process.kill("SIGKILL");
        } catch { /* ended */ }
        await child.done;
      }
    });
  }

  await tally.fault(
    "sft-vs-dpo after the interruptions: bit-identical to no interruption",
    async () => {
      const child = startWatched(args, env);
      const r = await child.done;
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      if (resumeNote) assert.match(r.stderr, resumeNote, "the rerun did not resume as expected");
      assert.deepEqual(leftovers(out), [], "temporary files or partial checkpoints left");
      const compared: string[] = [];
      for (const p of planned) {
        assert.ok(await exists(join(out, p.rel, "done.json")), `${p.rel} did not finish`);
        for (const f of resultFiles(base.out, p.rel)) {
          const [a, b] = [
            await Deno.readFile(join(base.out, p.rel, f)),
            await Deno.readFile(join(out, p.rel, f)),
          ];
          assert.ok(
            a.length === b.length && a.every((x, i) => x === b[i]),
            `${p.rel}/${f} differs`,
          );
          compared.push(f);
        }
        const metrics = async (root: string) =>
          canonicalJson(
            project(JSON.parse(await Deno.readTextFile(join(root, p.rel, "metrics.json")))),
          );
        assert.equal(await metrics(out), await metrics(base.out), `${p.rel}/metrics.json differs`);
      }
      const [a, b] = [await canonicalResults(base.out), await canonicalResults(out)];
      assert.ok(a === b, "results.json (canonical projection) differs from the uninterrupted run");
      return `${compared.length} checkpoint/reference files and 5 metrics.json identical, ` +
        `results.json identical (${b.length} canonical bytes)`;
    },
  );

  await tally.fault("byte flipped in the DPO reference cache (read by a DPO run)", async () => {
    const ref = planned.find((p) => p.name === "mllm-dpo-ref")!;
    const stage2 = planned.find((p) => p.name === "mllm-2-dpo")!;
    const file = join(out, ref.rel, "reference_logps.f32");
    assert.ok(await exists(`${file}.sha256`), "the reference cache has no hash sidecar");
    await flipByte(file, 5);
    await Deno.remove(join(out, stage2.rel), { recursive: true }); // a run that reads it
    const before = listFiles(out);
    const r = await startWatched(args, env).done;
    assert.notEqual(r.code, 0, "a damaged reference cache was not detected");
    const line = r.stderr.split("\n").find((l) => l.includes(file)) ?? "";
    assert.match(line, /content hash mismatch.*--force mllm-dpo-ref/, r.stderr.slice(-1500));
    const after = listFiles(out);
    assert.deepEqual(before.filter((f) => !after.includes(f)), [], "files were deleted");
    return `exit ${r.code}: ${line.replace(out, "<out>").slice(0, 150)}`;
  });
}
