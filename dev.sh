#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11:
#   ./dev.sh demo        set everything up, then run the emulator + portal (+ worker) with seeded data
#   ./dev.sh test [ARGS] set everything up, then run the whole test suite (ARGS go to pytest)
#   ./dev.sh setup       only create .venv and install the project (and test tools)
#   ./dev.sh bench       run the benchmarks in benchmarks/ and print their tables
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when the dependency list changed since the last install.
  local stamp="$VENV/.installed-$1" digest
  digest=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    say "installing the project ($1)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if [ "$1" = dev ]; then
      "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    else
      "$VENV/bin/python" -m pip install --quiet -e .
    fi
    echo "$digest" > "$stamp"
  fi
}

# Debian packages the browser tests need; installed only when missing and we may use apt.
ensure_system_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}: install it (apt-get install ${missing[*]}) or the browser tests will fail"
  fi
}

case "${1:-}" in
  demo)
    shift
    ensure_venv runtime
    exec "$VENV/bin/gateway" demo "$@"
    ;;
  test)
    shift
    ensure_venv dev
    ensure_system_packages
    bash scripts/install-globus-cli.sh
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ensure_venv dev
    ;;
  bench)
    shift
    ensure_venv dev
    for script in benchmarks/*_bench.py; do
      say "$script"
      "$VENV/bin/python" "$script" "$@"
    done
    ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
