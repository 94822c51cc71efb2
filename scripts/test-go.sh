#!/usr/bin/env bash
# The Go SDK's checks, run by `npm run test:go` (and so by `npm test`): in every Go module under
# sdks/go, examples/go and bench/go, gofmt must list nothing, `go vet` must pass, and
# `go test -race` runs every test (the integration tests start the collector built by
# `npm run build`; the benchmarks only compile). The module sdks/go/compattest also runs the
# adapters' tests against the newest MCP library releases (the SDK's module pins the oldest it
# supports). Modules come from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "test:go: the go command is not installed; the Go SDK (sdks/go) needs Go 1.25 or later" >&2
  exit 1
fi

# Packages of another module that a module tests again, built with its own requirements.
also_test() {
  case "$1" in
    sdks/go/compattest)
      echo "github.com/mcpsight/mcpsight/sdks/go/officialsdk github.com/mcpsight/mcpsight/sdks/go/mcpgo"
      ;;
  esac
}

status=0
while IFS= read -r mod; do
  dir=$(dirname "$mod")
  extra=$(also_test "$dir")
  echo "test:go: $dir${extra:+ (and $extra)}"
  unformatted=$(cd "$dir" && gofmt -l .)
  if [ -n "$unformatted" ]; then
    echo "test:go: not gofmt-formatted (run gofmt -w):" >&2
    echo "$unformatted" >&2
    status=1
  fi
  # shellcheck disable=SC2086 # $extra is a list of package paths
  (cd "$dir" && go vet ./... $extra && go test -race -count=1 ./... $extra) || status=1
done < <(find sdks/go examples/go bench/go -name go.mod -not -path '*/testdata/*' 2>/dev/null | sort)
exit $status
