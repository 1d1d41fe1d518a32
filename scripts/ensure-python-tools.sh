#!/usr/bin/env bash
# Installs the Python environments the test suite drives, once each; later runs only check that the
# pinned versions are there (a stamp holds the hash of the requirements file):
#   .venv             moto server, cfn-lint, checkov (requirements-dev.txt)
#   .venv-python-app  a Python CDK app on the jsii-built package (test/package/python/requirements.txt)
# Two environments, not one: the scanners and the CDK's jsii runtime pin different versions of shared
# packages. pip's cache (~/.cache/pip) stays outside the clone, so a fresh clone downloads nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is required for the test suite (moto, scanners, the Python smoke test); install Python 3.10+" >&2; exit 1; }

ensure_venv() {
  local venv=$1 requirements=$2 purpose=$3
  shift 3
  local stamp=$venv/.requirements.sha256
  local want
  # The requirements file and any file it includes with -r (passed after the purpose).
  want=$(cat "$requirements" "$@" | sha256sum | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "Installing $purpose into $venv (first run, or its requirements changed)…"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}

ensure_venv .venv requirements-dev.txt "moto, cfn-lint and checkov" local/requirements-moto.txt
ensure_venv .venv-python-app test/package/python/requirements.txt "aws-cdk-lib for Python (the Python smoke test)"
