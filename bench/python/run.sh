#!/usr/bin/env bash
# Runs the Python SDK benchmark (not a test): creates .venv/ with the pinned packages and the SDK
# from this repository (refreshed when requirements.txt changes), then sdk.py with its arguments.
#
#   bench/python/run.sh            # the full run (a few minutes)
#   bench/python/run.sh --quick    # a short run that proves it works
#   bench/python/run.sh profile_sdk.py delivery   # another script of this folder, with its arguments
set -euo pipefail
cd "$(dirname "$0")"
python="${MCPSIGHT_PYTHON:-python3}"
stamp="$("$python" --version 2>&1) $(cksum < requirements.txt)"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.stamp 2>/dev/null)" != "$stamp" ]; then
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e ../../sdks/python
  echo "$stamp" > .venv/.stamp
fi
script=sdk.py
case "${1:-}" in *.py) script="$1"; shift ;; esac
exec .venv/bin/python "$script" "$@"
