#!/usr/bin/env bash
# Install the Globus CLI into its own virtualenv, ./.venv-cli, for the CLI compatibility tests
# (tests/emulator/test_globus_cli.py). It stays apart from the portal's .venv because
# globus-cli 3.43.0 pins globus-sdk 4.9.0 and click 8.4.x, which must not constrain the portal.
# Safe to run again: an existing install of the pinned version is left as it is.
set -euo pipefail

CLI_VERSION="3.43.0"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GLOBUS_CLI_VENV:-$REPO_ROOT/.venv-cli}"
PYTHON="${PYTHON:-python3}"

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("globus-cli"))' 2>/dev/null || true
}

if [ -x "$VENV/bin/globus" ] && [ "$(installed_version)" = "$CLI_VERSION" ]; then
    echo "globus-cli $CLI_VERSION already installed in $VENV"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "globus-cli==$CLI_VERSION"

if [ "$(installed_version)" != "$CLI_VERSION" ]; then
    echo "globus-cli $CLI_VERSION did not install into $VENV" >&2
    exit 1
fi
echo "globus-cli $CLI_VERSION installed in $VENV"
