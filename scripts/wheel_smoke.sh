#!/usr/bin/env bash
# The production install, end to end (CI runs it after the unit tests):
#   build the wheel, install it into a fresh virtualenv outside the tree, and from / run
#   `gateway db upgrade` on PostgreSQL, gunicorn with the shipped config (GATEWAY_ENV=production,
#   over TLS), log in through the emulator and load every page type with its CSS and JS.
# Usage: scripts/wheel_smoke.sh POSTGRES_URL   (postgresql+psycopg://user:password@host:port/db;
#   the check works in a schema of its own and drops it afterwards). Keeps nothing on success;
#   WHEEL_SMOKE_KEEP=1 keeps the work folder (logs, wheel, venv) for a look.
set -euo pipefail

DATABASE=${1:?usage: scripts/wheel_smoke.sh postgresql+psycopg://user:password@host:port/db}
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gateway-wheel-smoke.XXXXXX")"
case "$WORK" in "$REPO_ROOT"/*) echo "the work folder must be outside the tree" >&2; exit 2 ;; esac

cleanup() {
    if [ "${WHEEL_SMOKE_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

started=$SECONDS
echo "==> building the wheel"
# pip builds in the tree, and setuptools copies everything in build/lib into the wheel: a module
# deleted or moved since an earlier build would ship again from a stale build/. Start clean.
rm -rf "$REPO_ROOT/build"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$REPO_ROOT"
rm -rf "$REPO_ROOT/build"
wheel=$(ls "$WORK"/dist/science_gateway-*.whl)

echo "==> installing $(basename "$wheel") into a fresh virtualenv in $WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$REPO_ROOT/constraints.txt" "${wheel}[postgres]"

echo "==> serving it from /"
cd /
# The checker runs on the fresh venv's python: sys.path holds scripts/ and the venv, no source tree.
"$WORK/venv/bin/python" "$REPO_ROOT/scripts/wheel_smoke.py" --venv "$WORK/venv" --work "$WORK" \
    --database "$DATABASE"
echo "==> wheel smoke passed in $((SECONDS - started)) s"
