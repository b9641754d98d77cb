#!/usr/bin/env bash
# Quick start, command 2: the same set-up (plus Chromium for the browser tests), then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh --browser
bash scripts/demo-corpus.sh
bash scripts/tokenizer-references.sh
dotnet build SaeWorkbench.sln --nologo -v quiet -clp:ErrorsOnly
rm -rf TestResults
status=0
dotnet test SaeWorkbench.sln --no-build --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults "$@" || status=$?
# One summary line over every test project ("N passed, N failed").
python3 - <<'PY' || true
import glob, xml.etree.ElementTree as ET
p = f = s = 0
failed = []
for path in glob.glob("TestResults/*.trx"):
    root = ET.parse(path).getroot()
    c = root.find(".//{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
    for r in root.iter("{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}UnitTestResult"):
        if r.get("outcome") not in ("Passed", "NotExecuted"):
            m = r.find(".//{*}Message")
            failed.append((r.get("testName"), (m.text or "").strip().splitlines()[:3] if m is not None else []))
# The failures again at the very end, where a log cut to its last lines still shows them.
for name, message in failed:
    print(f"FAILED {name}")
    for line in message: print(f"    {line}")
print(f"Tests: {p} passed, {f} failed, {s} skipped")
PY
exit $status
