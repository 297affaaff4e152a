#!/usr/bin/env bash
# Set up the Synapse test peer in its own virtualenv: .peers/synapse-venv (relative to the repo
# root), installed from tests/peers/synapse/requirements.lock. Idempotent: does nothing when the
# virtualenv was already installed from the same lock (sha256 stamp inside the virtualenv).
#
# Synapse is AGPL-3.0 and pins its own dependencies: it only ever runs as a separate process
# started by the tests (tests/peers/synapse_peer.py); the bot never imports it.
#
# Environment: PYTHON (default python3, 3.10+), SYNAPSE_VENV (default .peers/synapse-venv),
# UV (default .venv/bin/uv; set it empty to install with pip instead).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${SYNAPSE_VENV:-$ROOT/.peers/synapse-venv}"
LOCK="$ROOT/tests/peers/synapse/requirements.lock"
STAMP="$VENV/.lock-sha256"
UV="${UV-$ROOT/.venv/bin/uv}"  # UV= (empty) forces pip

# The stamp covers the lock and this script (a changed install step reinstalls too).
want="$(cat "$LOCK" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/python" ]] \
    && "$VENV/bin/python" -c 'import synapse' 2>/dev/null; then
    echo "synapse peer: up to date ($VENV)"
    exit 0
fi

mkdir -p "$(dirname "$VENV")"
# Two set-ups at once (make -j, parallel CI steps) must not install into the same venv together.
exec 9>"$(dirname "$VENV")/.synapse-setup.lock"
if command -v flock >/dev/null; then flock 9; fi

started=$SECONDS
rm -f "$STAMP"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
if [[ -x "$UV" ]]; then
    # sync: exactly the lock, nothing more; the hashes in the lock are checked.
    "$UV" pip sync --quiet --compile-bytecode --python "$VENV/bin/python" "$LOCK"
else
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --require-hashes --no-deps -r "$LOCK"
fi
"$VENV/bin/python" -c 'import synapse; print("synapse peer: matrix-synapse", synapse.__version__)'
echo "$want" >"$STAMP"
echo "synapse peer: installed in $((SECONDS - started)) s ($VENV)"
