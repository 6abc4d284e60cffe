/**
 * Installs the outside tools the notebooks and the report check need, when they are
 * missing: Jupyter (Debian's nbconvert, nbclient, ipykernel) with the Deno kernel
 * registered for this deno, and Chromium for the report's browser check. On Linux as root
 * it uses apt (one `apt-get update`, then install); elsewhere it throws one line saying what
 * is missing and how to get it.
 * @module
 */

/** Debian's Python: the pyenv python that may come first on PATH lacks Jupyter's modules. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** The apt packages Jupyter needs. */
export const JUPYTER_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "python3-ipykernel"];

/** Thrown when a tool is missing and cannot be installed here. */
export class MissingToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MissingToolError";
  }
}

async function run(
  cmd: string,
  args: string[],
  quiet = true,
): Promise<{ ok: boolean; stdout: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "piped",
      stderr: quiet ? "piped" : "inherit",
    }).output();
    return { ok: out.code === 0, stdout: new TextDecoder().decode(out.stdout) };
  } catch {
    return { ok: false, stdout: "" };
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

let aptUpdated = false;

/**
 * Installs Debian packages with apt, running `apt-get update` once per process when the
 * first attempt fails (stale lists). Throws MissingToolError when not root or apt fails.
 */
export async function aptInstall(packages: string[], what: string): Promise<void> {
  const manual = `apt-get install -y ${packages.join(" ")}`;
  if (Deno.build.os !== "linux" || !isRoot() || !(await exists("/usr/bin/apt-get"))) {
    throw new MissingToolError(
      `pivotlab: ${what} is missing; install it (Debian/Ubuntu: \`${manual}\`) and rerun.`,
    );
  }
  console.error(`pivotlab: ${what} is missing; installing ${packages.join(", ")} with apt…`);
  const install = () => run("apt-get", ["install", "-y", "-q", ...packages]);
  if ((await install()).ok) return;
  if (!aptUpdated) {
    aptUpdated = true;
    if ((await run("apt-get", ["update", "-q"])).ok && (await install()).ok) return;
  }
  throw new MissingToolError(`pivotlab: \`${manual}\` failed; ${what} is needed.`);
}

async function jupyterModulesPresent(): Promise<boolean> {
  return (await run(SYSTEM_PYTHON, ["-c", "import nbformat, jupyter_client, nbconvert"])).ok;
}

/** argv[0] of the registered "deno" kernel, or null when none is registered. */
export async function denoKernelExecutable(): Promise<string | null> {
  const probe = await run(SYSTEM_PYTHON, [
    "-c",
    "from jupyter_client.kernelspec import KernelSpecManager as M\n" +
    "try:\n print(M().get_kernel_spec('deno').argv[0])\nexcept Exception:\n pass",
  ]);
  return probe.stdout.trim() || null;
}

/**
 * Makes sure Jupyter (Debian's Python modules) is installed and the Deno kernel is
 * registered for the deno running now (re-registers when it points at another deno).
 */
export async function ensureJupyter(): Promise<void> {
  if (!(await jupyterModulesPresent())) {
    await aptInstall(JUPYTER_PACKAGES, "Jupyter (nbconvert, nbclient, ipykernel)");
    if (!(await jupyterModulesPresent())) {
      throw new MissingToolError(
        `pivotlab: Jupyter's Python modules are still missing from ${SYSTEM_PYTHON}.`,
      );
    }
  }
  // Compared by real path: the kernelspec may name a symlink (/usr/bin/deno) to this deno.
  const real = (path: string | null) => path ? Deno.realPath(path).catch(() => path) : null;
  const self = await real(Deno.execPath());
  if ((await real(await denoKernelExecutable())) !== self) {
    const install = await run(Deno.execPath(), ["jupyter", "--install", "--force"]);
    if (!install.ok || (await real(await denoKernelExecutable())) !== self) {
      throw new MissingToolError(
        "pivotlab: `deno jupyter --install --force` did not register the Deno kernel.",
      );
    }
  }
}

/** Makes sure Debian's Chromium is installed; returns its path. */
export async function ensureChromium(): Promise<string> {
  if (!(await exists(CHROMIUM))) {
    await aptInstall(["chromium"], "Chromium (for the report's browser check)");
    if (!(await exists(CHROMIUM))) {
      throw new MissingToolError(`pivotlab: ${CHROMIUM} is still missing.`);
    }
  }
  return CHROMIUM;
}

/** Chromium flags for headless checks on a machine that refuses Chromium's own connections. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
