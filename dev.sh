#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11:
#   ./dev.sh demo        set everything up, then run the emulator + portal (+ worker) with seeded data
#   ./dev.sh test [ARGS] set everything up, then run the whole test suite (ARGS go to pytest)
#   ./dev.sh setup       only create .venv and install the project (and test tools)
#   ./dev.sh bench       run the benchmarks in benchmarks/ and print their tables
#   ./dev.sh lint        ruff (lint + format check) and mypy, as CI runs them first
#   ./dev.sh lock        re-resolve every dependency and rewrite constraints.txt (then commit it)
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
  # Reinstall only when the dependency list or the pinned versions changed since the last install.
  # constraints.txt pins every package (direct and transitive) to what CI last ran green with.
  local stamp="$VENV/.installed-$1" digest
  digest=$(cat pyproject.toml clients/python/pyproject.toml constraints.txt | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    say "installing the project ($1)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if [ "$1" = dev ]; then
      "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[dev]'
      # The API's Python client (its own package): tests/api run its command line.
      "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e clients/python
    else
      "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e .
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
  lint)
    ensure_venv dev
    say "ruff check"
    "$VENV/bin/ruff" check .
    say "ruff format --check"
    "$VENV/bin/ruff" format --check .
    say "mypy"
    "$VENV/bin/mypy"
    ;;
  lock)
    # Resolve from pyproject alone in a throwaway venv, so nothing already installed leaks in.
    lock_venv=$(mktemp -d)
    trap 'rm -rf "$lock_venv"' EXIT
    say "resolving every dependency (runtime, postgres, dev) in $lock_venv"
    "$PYTHON" -m venv "$lock_venv"
    "$lock_venv/bin/python" -m pip install --quiet --upgrade pip
    "$lock_venv/bin/python" -m pip install --quiet '.[dev,postgres]' ./clients/python
    {
      echo "# Every package the project installs, pinned; written by \`./dev.sh lock\` — do not edit by hand."
      echo "# Installed with \`pip install -c constraints.txt\` by ./dev.sh (and so by CI)."
      "$lock_venv/bin/python" -m pip freeze --exclude science-gateway --exclude gateway-client | LC_ALL=C sort -f
    } > constraints.txt
    say "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
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
