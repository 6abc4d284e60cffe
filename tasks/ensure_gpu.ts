/**
 * Makes sure a WebGPU adapter exists before tests, benchmarks or a reproduction start.
 * On Linux as root without one, it installs Mesa's software Vulkan driver (lavapipe) with
 * apt; otherwise it says in one line what is missing and exits non-zero.
 */

import { brokenDriverOverride, NoAdapterError } from "../src/gpu/device.ts";

async function hasAdapter(): Promise<boolean> {
  // A child process: an adapter request that failed in this process would not be retried.
  const probe = new Deno.Command(Deno.execPath(), {
    args: ["eval", "const a = await navigator.gpu?.requestAdapter(); Deno.exit(a ? 0 : 1);"],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "null",
    stderr: "null",
  });
  return (await probe.output()).code === 0;
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const p = new Deno.Command(cmd, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await p.output()).code === 0;
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

if (!(await hasAdapter())) {
  // A driver override naming a missing file hides every installed driver: installing one
  // more would not help, so say so instead.
  const canApt = brokenDriverOverride() === null && Deno.build.os === "linux" && isRoot() &&
    (await Deno.stat("/usr/bin/apt-get").then(() => true, () => false));
  if (!canApt) {
    console.error(new NoAdapterError().message);
    Deno.exit(2);
  }
  console.error("pivotlab: no WebGPU adapter; installing Mesa lavapipe (mesa-vulkan-drivers)…");
  const ok = (await run("apt-get", ["install", "-y", "-q", "mesa-vulkan-drivers"])) ||
    ((await run("apt-get", ["update", "-q"])) &&
      (await run("apt-get", ["install", "-y", "-q", "mesa-vulkan-drivers"])));
  if (!ok || !(await hasAdapter())) {
    console.error(
      "pivotlab: installing mesa-vulkan-drivers did not give a WebGPU adapter; " +
        new NoAdapterError().message,
    );
    Deno.exit(2);
  }
}
