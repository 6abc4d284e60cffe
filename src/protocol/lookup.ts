/**
 * A preset's entry of one of the protocol tables, with one clear error for an unknown name
 * (every protocol module looks its presets up through this).
 * @module
 */

/** `table[name]`, or an error naming the presets that exist. */
export function presetEntry<T>(table: Readonly<Record<string, T>>, name: string): T {
  const entry = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!entry) {
    throw new Error(
      `unknown preset "${name}" (expected one of: ${Object.keys(table).join(", ")})`,
    );
  }
  return entry;
}
