#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, and starts the workbench on the embedded defaults
# (SQLite and artefacts under ./data). Honours ASPNETCORE_URLS and Workbench__DataDirectory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
bash scripts/demo-corpus.sh
dotnet build src/SaeWorkbench.Web -c Release --nologo -v quiet -clp:ErrorsOnly
urls="${ASPNETCORE_URLS:-http://localhost:5080}"
echo
echo "SaeWorkbench is starting at: ${urls//;/ }"
echo "Open it in a browser; the first account you create becomes Admin. Ctrl+C stops it."
echo
ASPNETCORE_URLS="$urls" exec dotnet src/SaeWorkbench.Web/bin/Release/net10.0/SaeWorkbench.Web.dll
