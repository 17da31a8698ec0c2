#!/usr/bin/env bash
# Create a virtualenv outside the repository holding the reference Prefect
# release used by bench/api_server.py. Safe to run repeatedly.
#
#   PREFECT_VENV   where to put the virtualenv
#                  (default: $HOME/.cache/podium-bench/prefect-venv)
#   PYTHON         interpreter used to create it (default: python3)
set -euo pipefail

PREFECT_VERSION="3.9.1"
CERTIFI_PIN="certifi==2026.10.18"
PREFECT_VENV="${PREFECT_VENV:-$HOME/.cache/podium-bench/prefect-venv}"
PYTHON="${PYTHON:-python3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# run from a neutral directory so nothing in the caller's cwd shadows a module
cd /

installed_version() {
    "$PREFECT_VENV/bin/python" -I -c \
        'from importlib.metadata import version; print(version("prefect"))' 2>/dev/null || true
}

if [ -x "$PREFECT_VENV/bin/prefect" ] && [ "$(installed_version)" = "$PREFECT_VERSION" ] \
    && "$PREFECT_VENV/bin/python" -I -c 'import prefect.server.api.server' 2>/dev/null; then
    echo "prefect $PREFECT_VERSION already installed in $PREFECT_VENV"
    exit 0
fi

mkdir -p "$(dirname "$PREFECT_VENV")"
if [ ! -x "$PREFECT_VENV/bin/python" ]; then
    echo "creating virtualenv $PREFECT_VENV"
    "$PYTHON" -I -m venv "$PREFECT_VENV"
fi

PIP=("$PREFECT_VENV/bin/python" -I -m pip install --quiet)

echo "installing prefect==$PREFECT_VERSION into $PREFECT_VENV"
if ! "${PIP[@]}" "prefect==$PREFECT_VERSION"; then
    # The package index may not carry the certifi release prefect's metadata
    # asks for. Pin the newest one available, install prefect without
    # dependency resolution, then install its other requirements by name.
    echo "falling back: $CERTIFI_PIN, then prefect's other requirements"
    "${PIP[@]}" "$CERTIFI_PIN" packaging
    "${PIP[@]}" --no-deps "prefect==$PREFECT_VERSION"
    REQS_FILE="$(mktemp)"
    trap 'rm -f "$REQS_FILE"' EXIT
    "$PREFECT_VENV/bin/python" -I "$HERE/_prefect_requirements.py" > "$REQS_FILE"
    "${PIP[@]}" "$CERTIFI_PIN" -r "$REQS_FILE"
fi

"$PREFECT_VENV/bin/python" -I -c 'import prefect.server.api.server'
echo "prefect $(installed_version) ready: $PREFECT_VENV/bin/prefect"
