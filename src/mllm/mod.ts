/**
 * The MLLM: model (ViT + projector + causal LM, `loadPart`), chat format and batching,
 * and batched greedy generation with a KV cache.
 * @module
 */

export { loadPart, MLLM, type MLLMCall, type MLLMConfig } from "./model.ts";
export {
  batchEncoded,
  CAPTION_PROMPT,
  captionExample,
  type ChatBatch,
  chatBatch,
  type ChatExample,
  type ChatTokenizer,
  encodePrompt,
  encodeResponse,
  IGNORE,
  padPrompts,
  preferenceBatch,
  type PreferenceExample,
  type PromptBatch,
  promptBatch,
  responseText,
} from "./chat.ts";
export { generate, type GenerateOptions, type Generation } from "./generate.ts";
