#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, and starts the workbench on the embedded defaults
# (SQLite and artefacts under ./data). Honours ASPNETCORE_URLS and Workbench__DataDirectory.
# It prints the address once the server answers, and refuses to start (touching nothing, not even the build the
# running server was loaded from) when something already listens on that address.
set -euo pipefail

# probe_url URL: the address to probe for a listen URL; wildcard hosts (+, *, 0.0.0.0, [::]) probe this machine.
probe_url() {
    local url="$1" scheme rest hostport path host port
    scheme="${url%%://*}"
    rest="${url#*://}"
    hostport="${rest%%/*}"
    if [[ "$hostport" == \[*\]* ]]; then host="${hostport%%]*}]"; port="${hostport#"$host"}"; port="${port#:}"
    elif [[ "$hostport" == *:* ]]; then host="${hostport%:*}"; port="${hostport##*:}"
    else host="$hostport"; port=""; fi
    [[ -n "$port" ]] || { [[ "$scheme" == https ]] && port=443 || port=80; }
    case "$host" in ""|"+"|"*"|0.0.0.0|"[::]") host=127.0.0.1 ;; esac
    echo "$scheme://$host:$port"
}

# port_in_use URL: exit status 0 when something accepts TCP connections on URL's host and port.
port_in_use() {
    local probe hostport host port
    probe="$(probe_url "$1")"
    hostport="${probe#*://}"
    host="${hostport%:*}"; port="${hostport##*:}"
    host="${host#[}"; host="${host%]}"
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# wait_until_listening URL PID: waits until the server answers /health (any status) or PID exits (status 1).
wait_until_listening() {
    local probe
    probe="$(probe_url "$1")"
    while kill -0 "$2" 2>/dev/null; do
        if command -v curl >/dev/null 2>&1; then
            curl -s -o /dev/null --max-time 2 "$probe/health" && return 0
        elif port_in_use "$1"; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

main() {
    cd "$(dirname "$0")/.."
    local urls first
    urls="${ASPNETCORE_URLS:-http://localhost:5080}"
    first="${urls%%;*}"
    if port_in_use "$first"; then
        echo "Something is already listening on $first (probably SaeWorkbench started earlier): leaving it running." >&2
        echo "Open $first in a browser, stop that server first, or choose another address: ASPNETCORE_URLS=http://localhost:5081 $0" >&2
        exit 1
    fi
    bash scripts/prereqs.sh
    bash scripts/demo-corpus.sh
    dotnet build src/SaeWorkbench.Web -c Release --nologo -v quiet -clp:ErrorsOnly
    echo
    echo "Starting SaeWorkbench (migrating the database and loading the demo can take a minute)…"
    ASPNETCORE_URLS="$urls" dotnet src/SaeWorkbench.Web/bin/Release/net10.0/SaeWorkbench.Web.dll &
    local pid=$!
    trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
    if wait_until_listening "$first" "$pid"; then
        echo
        echo "SaeWorkbench is listening at: ${urls//;/ }"
        echo "Open it in a browser; the first account you create becomes Admin. Ctrl+C stops it."
        echo
    fi
    local rc=0
    wait "$pid" || rc=$?
    # A Ctrl+C interrupts the first wait; wait again for the server's graceful shutdown.
    while kill -0 "$pid" 2>/dev/null; do wait "$pid" || rc=$?; done
    exit "$rc"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
