#!/usr/bin/env bash
# The Go SDK's checks, run by `npm run test:go` (and so by `npm test`): in every Go module under
# sdks/go, gofmt must list nothing, `go vet` must pass, and `go test -race` runs every test (the
# integration tests start the collector built by `npm run build`). Modules come from the Go
# module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "test:go: the go command is not installed; the Go SDK (sdks/go) needs Go 1.25 or later" >&2
  exit 1
fi

status=0
while IFS= read -r mod; do
  dir=$(dirname "$mod")
  echo "test:go: $dir"
  unformatted=$(cd "$dir" && gofmt -l .)
  if [ -n "$unformatted" ]; then
    echo "test:go: not gofmt-formatted (run gofmt -w):" >&2
    echo "$unformatted" >&2
    status=1
  fi
  (cd "$dir" && go vet ./... && go test -race -count=1 ./...) || status=1
done < <(find sdks/go -name go.mod -not -path '*/testdata/*' | sort)
exit $status
