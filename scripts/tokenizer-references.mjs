// Writes the expected tokenizer outputs the C# tests compare against, computed by Hugging Face's own JavaScript
// implementations: @huggingface/tokenizers (ids, tokens, decodes) and @huggingface/jinja (chat templates).
// Run by scripts/tokenizer-references.sh after it has npm-packed the packages into the cache folder; nothing here
// reaches the network.
//
// Usage: node scripts/tokenizer-references.mjs <cache-folder> <texts.json>
//   <cache-folder>/npm/tokenizers/package, <cache-folder>/npm/jinja/package: the unpacked JS packages
//   <cache-folder>/<name>/tokenizer.json + tokenizer_config.json: one folder per reference tokenizer
// Writes <cache-folder>/expected.json.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [cache, textsPath] = process.argv.slice(2).map((p) => resolve(p));
if (!cache || !textsPath) {
  console.error("usage: node scripts/tokenizer-references.mjs <cache-folder> <texts.json>");
  process.exit(2);
}
const { Tokenizer } = await import(pathToFileURL(join(cache, "npm/tokenizers/package/dist/tokenizers.mjs")).href);
const { Template } = await import(pathToFileURL(join(cache, "npm/jinja/package/dist/index.js")).href);

const textsBytes = readFileSync(textsPath);
const textSet = JSON.parse(textsBytes.toString("utf8"));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

// Tokenizer layouts that are not among the npm-packaged tokenizers are derived from their vocabularies, changing only
// the pipeline parts named (each as the named model family's tokenizer.json writes it):
// - sentencepiece_prepend (Llama 2): Gemma 3's vocabulary; normalizer Prepend "▁" then Replace " " → "▁"; decoder
//   Replace, ByteFallback, Fuse, Strip(" ", 1, 0).
// - metaspace (Mistral, Llama 2 with legacy=false): Gemma 3's vocabulary; no normalizer; pre-tokenizer Metaspace
//   (prepend_scheme "first", split false); decoder Metaspace.
// - bytelevel_gpt2_regex (GPT-2, Pythia): Qwen 3's vocabulary; no normalizer; pre-tokenizer ByteLevel with GPT-2's own
//   regex (use_regex true).
const derive = (name, from, change) => {
  const folder = join(cache, name);
  if (existsSync(join(folder, "tokenizer.json"))) return;
  const tokenizer = readJson(join(cache, from, "tokenizer.json"));
  change(tokenizer);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "tokenizer.json"), JSON.stringify(tokenizer));
  const config = readJson(join(cache, from, "tokenizer_config.json"));
  delete config.chat_template;
  config.tokenizer_class = "PreTrainedTokenizerFast";
  writeFileSync(join(folder, "tokenizer_config.json"), JSON.stringify(config));
};
derive("sentencepiece_prepend", "gemma3", (t) => {
  t.normalizer = {
    type: "Sequence",
    normalizers: [
      { type: "Prepend", prepend: "\u2581" },
      { type: "Replace", pattern: { String: " " }, content: "\u2581" },
    ],
  };
  t.pre_tokenizer = null;
  t.decoder = {
    type: "Sequence",
    decoders: [
      { type: "Replace", pattern: { String: "\u2581" }, content: " " },
      { type: "ByteFallback" },
      { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 },
    ],
  };
});
derive("metaspace", "gemma3", (t) => {
  t.normalizer = null;
  t.pre_tokenizer = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false };
  t.decoder = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false };
});
derive("bytelevel_gpt2_regex", "qwen3", (t) => {
  t.normalizer = null;
  t.pre_tokenizer = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
});

// @huggingface/tokenizers runs the ByteLevel pre-tokenizer's built-in GPT-2 regex as a JavaScript RegExp, whose \s
// also matches U+FEFF and misses U+0085 (its own source says so); the Rust library (Oniguruma) and the Split
// pre-tokenizer's translated regexes use Unicode White_Space. So the JavaScript reference is computed on the
// equivalent layout the Rust library treats identically: Split(GPT-2 regex, Isolated) then ByteLevel without regex.
const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const withOnigurumaWhitespace = (tokenizer) => {
  const p = tokenizer.pre_tokenizer;
  if (p?.type === "ByteLevel" && (p.use_regex ?? true)) {
    if (p.add_prefix_space) throw new Error("ByteLevel with add_prefix_space and use_regex is not rewritten");
    tokenizer.pre_tokenizer = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: GPT2_REGEX }, behavior: "Isolated", invert: false },
        { ...p, use_regex: false },
      ],
    };
  }
  return tokenizer;
};

const names = ["llama3_1", "qwen3", "gemma3", "sentencepiece_prepend", "metaspace", "bytelevel_gpt2_regex"];
const result = {
  generator: "scripts/tokenizer-references.mjs",
  texts_sha256: createHash("sha256").update(textsBytes).digest("hex"),
  tokenizers: {},
};
for (const name of names) {
  const tokenizerJson = withOnigurumaWhitespace(readJson(join(cache, name, "tokenizer.json")));
  const config = readJson(join(cache, name, "tokenizer_config.json"));
  const tokenizer = new Tokenizer(tokenizerJson, config);
  const texts = {};
  const started = process.hrtime.bigint();
  for (const { name: textName, text } of textSet.texts) {
    const plain = tokenizer.encode(text, { add_special_tokens: false });
    const special = tokenizer.encode(text, { add_special_tokens: true });
    // decode() refuses an empty id list; the decode of no tokens is the empty text.
    const decode = (ids, options) => (ids.length === 0 ? "" : tokenizer.decode(ids, options));
    texts[textName] = {
      ids: plain.ids,
      tokens: plain.tokens,
      ids_with_special_tokens: special.ids,
      decode: decode(plain.ids, { clean_up_tokenization_spaces: false }),
      decode_with_special_tokens: decode(special.ids, { clean_up_tokenization_spaces: false }),
      decode_skip_special_tokens: decode(special.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
      decode_clean_up: decode(plain.ids, { clean_up_tokenization_spaces: true }),
    };
  }
  const encodeMs = Number(process.hrtime.bigint() - started) / 1e6;
  const chats = {};
  if (typeof config.chat_template === "string") {
    const template = new Template(config.chat_template);
    for (const chat of textSet.chats) {
      const variables = {
        messages: chat.messages,
        add_generation_prompt: chat.add_generation_prompt,
        bos_token: config.bos_token ?? "",
        eos_token: config.eos_token ?? "",
      };
      if ("enable_thinking" in chat) variables.enable_thinking = chat.enable_thinking;
      try {
        chats[chat.name] = { rendered: template.render(variables) };
      } catch (e) {
        chats[chat.name] = { error: String(e.message ?? e) };
      }
    }
  }
  result.tokenizers[name] = { encode_ms_all_texts_twice: encodeMs, texts, chats };
  console.error(`[tokenizer-references] ${name}: ${textSet.texts.length} texts, ${Object.keys(chats).length} chats, ${encodeMs.toFixed(1)} ms`);
}
writeFileSync(join(cache, "expected.json"), JSON.stringify(result));
