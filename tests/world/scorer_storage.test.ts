import assert from "node:assert/strict";
import {
  decodeSplit,
  encodeSplit,
  parseFinalAnswer,
  type QuestionRecord,
  readSplitFile,
  scoreAnswer,
  splitPath,
} from "../../src/world/mod.ts";
import { tinyWorld } from "./fixture.ts";

Deno.test("scorer: parses the final answer and matches exactly", () => {
  assert.equal(parseFinalAnswer("I see a red star. The star is red. Answer: red."), "red");
  assert.equal(parseFinalAnswer("  Red. "), "red");
  assert.equal(parseFinalAnswer("answer: 3 answer:  4 ."), "4");
  const item = { answer: "red" };
  assert.ok(scoreAnswer("colour", "The star is red. Answer: red.", item));
  assert.ok(scoreAnswer("colour", "RED", item));
  assert.ok(!scoreAnswer("colour", "Answer: dark red.", item));
  assert.ok(!scoreAnswer("colour", "red. Answer: blue.", item));
  const caption = { answer: "a red star, a blue circle and a red star" };
  assert.ok(scoreAnswer("caption", "Answer: a blue circle, a red star and a red star.", caption));
  assert.ok(!scoreAnswer("caption", "Answer: a blue circle and a red star.", caption));
});

Deno.test("scorer: chosen responses score right and rejected ones wrong, full and clear", async () => {
  const { splits } = await tinyWorld();
  let n = 0;
  for (const split of splits.values()) {
    if (split.kind !== "questions") continue;
    for (const record of split.records as QuestionRecord[]) {
      const { item } = record;
      assert.ok(scoreAnswer(item.family, item.chosen, item), item.chosen);
      assert.ok(scoreAnswer(item.family, item.chosenClear, item), item.chosenClear);
      assert.ok(!scoreAnswer(item.family, item.rejected, item), item.rejected);
      assert.ok(!scoreAnswer(item.family, item.rejectedClear, item), item.rejectedClear);
      n++;
    }
  }
  assert.ok(n > 1500);
});

Deno.test("storage: round trip, and corruption is reported with the file name", async () => {
  const { world, splits } = await tinyWorld();
  const original = splits.get("val_vision")!;
  const bytes = encodeSplit(original);
  const back = decodeSplit(bytes, "memory");
  assert.deepEqual(back.records, original.records);
  assert.deepEqual(back.images, original.images);
  assert.deepEqual(back.instanceMasks, original.instanceMasks);

  const path = splitPath(world.directory, "val_vision");
  const copy = `${path}.corrupt-test`;
  const damaged = new Uint8Array(await Deno.readFile(path));
  damaged[damaged.length - 10] ^= 0xff;
  await Deno.writeFile(copy, damaged);
  await assert.rejects(
    () => readSplitFile(copy),
    (e: Error) => e.message.includes(copy) && /hash mismatch/.test(e.message),
  );
  damaged[0] = 0;
  await Deno.writeFile(copy, damaged);
  await assert.rejects(() => readSplitFile(copy), /bad magic/);
  await Deno.remove(copy);
});
