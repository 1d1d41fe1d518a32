#!/usr/bin/env bash
# Installs the Python tools the test suite drives (moto server, cfn-lint, checkov) into ./.venv,
# once; later runs only check that the pinned versions are there.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required to run the AWS emulator (moto); install Python 3.9+" >&2; exit 1; }
echo "Installing moto, cfn-lint and checkov into .venv (first run only)…"
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$want" > "$stamp"
