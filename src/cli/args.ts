/**
 * Command-line flags for every pivotlab CLI, on `node:util` parseArgs in strict mode
 * (JSR, and so @std/cli, is unreachable from this project's network).
 */
import { parseArgs } from "node:util";

/** One flag: its type, default and help text. */
export interface FlagSpec {
  type: "string" | "boolean";
  default?: string | boolean;
  description: string;
  /** For string flags: the allowed values, checked after parsing. */
  choices?: readonly string[];
}

/** Parsed flag values by name. */
export type ParsedFlags = Record<string, string | boolean | undefined>;

/** The usage text for a command and its flags. */
export function formatUsage(usage: string, spec: Record<string, FlagSpec>): string {
  const lines = [`usage: ${usage}`, "", "flags:"];
  for (const [name, flag] of Object.entries(spec)) {
    const value = flag.type === "string"
      ? (flag.choices ? ` <${flag.choices.join("|")}>` : " <value>")
      : "";
    const fallback = flag.default !== undefined ? ` (default: ${flag.default})` : "";
    lines.push(`  --${name}${value}`.padEnd(34) + flag.description + fallback);
  }
  lines.push("  --help".padEnd(34) + "show this help");
  return lines.join("\n");
}

/**
 * Parses `argv` against `spec`. Prints usage and exits 0 on --help; on an unknown flag, a
 * missing value or a value outside `choices` prints one clear message (and the usage line)
 * to stderr and exits 2.
 */
export function parseFlags(
  argv: string[],
  spec: Record<string, FlagSpec>,
  usage: string,
): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {
    help: { type: "boolean" },
  };
  for (const [name, flag] of Object.entries(spec)) {
    options[name] = flag.default === undefined
      ? { type: flag.type }
      : { type: flag.type, default: flag.default };
  }
  let values: ParsedFlags;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
      .values as ParsedFlags;
  } catch (error) {
    exitWithError(error instanceof Error ? error.message : String(error), usage);
  }
  if (values.help) {
    console.log(formatUsage(usage, spec));
    Deno.exit(0);
  }
  for (const [name, flag] of Object.entries(spec)) {
    const value = values[name];
    if (flag.choices && typeof value === "string" && !flag.choices.includes(value)) {
      exitWithError(`--${name} must be one of ${flag.choices.join(", ")} (got "${value}")`, usage);
    }
  }
  return values;
}

/** A positive integer flag value, or a clear error and exit 2. */
export function integerFlag(values: ParsedFlags, name: string, usage: string, min = 1): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw) || n < min) {
    exitWithError(`--${name} must be an integer ≥ ${min} (got "${raw}")`, usage);
  }
  return n;
}

/** A finite number flag value greater than `above`, or a clear error and exit 2. */
export function numberFlag(values: ParsedFlags, name: string, usage: string, above = 0): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n) || n <= above) {
    exitWithError(`--${name} must be a number > ${above} (got "${raw}")`, usage);
  }
  return n;
}

/** Prints an error and the usage line, then exits with status 2. */
export function exitWithError(message: string, usage: string): never {
  console.error(`error: ${message}\nusage: ${usage} (--help for details)`);
  Deno.exit(2);
}
