#!/usr/bin/env bash
# Tests the Python SDK against every line of its version matrix.
#
# One virtual environment per file in requirements/ (mcp 1.x + fastmcp 2.x, mcp 2.x + fastmcp 4.x),
# under .venvs/ (git-ignored), each with the SDK installed in editable mode and the pinned packages
# from PyPI. An environment is rebuilt only when its requirements or pyproject.toml change. Then:
# ruff (lint and format) and mypy --strict once, and pytest (the SDK's tests and the Python
# examples' tests) in every environment. Tests start the repository's collector, so build it
# first (npm install does).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --setup         # only create/refresh the environments
#   MCPSIGHT_TEST_ENVS=mcp2 scripts/test.sh -k identify   # one environment, pytest arguments after
#   MCPSIGHT_PYTHON=python3.10 scripts/test.sh            # another interpreter (3.10 or later)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(cd ../.. && pwd)"
python="${MCPSIGHT_PYTHON:-python3}"
read -r -a envs <<< "${MCPSIGHT_TEST_ENVS:-mcp1 mcp2}"

setup_only=false
if [ "${1:-}" = "--setup" ]; then
  setup_only=true
  shift
fi

if [ ! -f "$root/packages/server/dist/cli.js" ] && [ "$setup_only" = false ]; then
  echo "test.sh: the collector is not built ($root/packages/server/dist/cli.js); run npm install (or npm run build) first." >&2
  exit 1
fi

for env in "${envs[@]}"; do
  dir=".venvs/$env"
  stamp="$("$python" --version 2>&1) $(cat "requirements/$env.txt" pyproject.toml | cksum)"
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "test.sh: creating $dir ($("$python" --version 2>&1), requirements/$env.txt)"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "requirements/$env.txt" -e .
    echo "$stamp" > "$dir/.stamp"
  fi
done
$setup_only && exit 0

lint_env=".venvs/${envs[-1]}"
if [ -x "$lint_env/bin/ruff" ]; then
  echo "test.sh: ruff and mypy ($lint_env)"
  "$lint_env/bin/ruff" check src tests scripts ../../examples/python ../../bench/python
  "$lint_env/bin/ruff" format --check src tests scripts ../../examples/python ../../bench/python
  "$lint_env/bin/mypy"
fi

status=0
for env in "${envs[@]}"; do
  echo "test.sh: pytest in .venvs/$env"
  ".venvs/$env/bin/python" -m pytest -q tests ../../examples/python/tests "$@" || status=$?
done
exit $status
