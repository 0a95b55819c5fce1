#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run the whole suite.
#   - system tools the tests use as real peers and oracles (apt-get, only when missing)
#   - the project and its test extra in .venv
# Extra arguments go to pytest (e.g. bash scripts/test.sh tests/stack -x).
set -euo pipefail
cd "$(dirname "$0")/.."

# tool → Debian package
declare -A PACKAGES=(
  [tshark]=tshark [dnsmasq]=dnsmasq-base [busybox]=busybox [curl]=curl [dig]=dnsutils
  [ip]=iproute2 [tc]=iproute2 [ping]=iputils-ping [rsvg-convert]=librsvg2-bin [tmux]=tmux
  [ssh]=openssh-client [ssh-keygen]=openssh-client [chromium]=chromium
  [qemu-system-x86_64]=qemu-system-x86 [tcpdump]=tcpdump [ethtool]=ethtool
)
missing=()
for tool in "${!PACKAGES[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}")
done
# iPXE's network boot ROMs for QEMU's NICs are files, not a command (the pxe lab boots from them).
[ -d /usr/lib/ipxe/qemu ] || missing+=(ipxe-qemu)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: not root, so these stay missing and the tests that need them skip: ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip warns about every unreachable extra index this machine's configuration names: noise.
quiet_pip() { .venv/bin/python -m pip "$@" 2>&1 | { grep -v "WARNING: Location '" || true; }; }
quiet_pip install -q --upgrade pip >/dev/null
quiet_pip install -q -e ".[test]"

# --tb=native: on this machine's Python 3.11.7, ast.parse raised "AST constructor recursion
# depth mismatch" (a CPython bug in ast's recursion accounting) while pytest re-read a failing
# test's source; that INTERNALERROR ended the whole run and hid which test failed. Python's own
# tracebacks need no parsing.
exec .venv/bin/python -m pytest -q --tb=native "$@"
