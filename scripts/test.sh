#!/usr/bin/env bash
# The whole test suite: static checks, the shared suite under Deno and under Bun,
# and the suites that need workerd, Redis or Chromium. Ends with one line,
# "N passed, N failed" (then ", N skipped" when a test was skipped): each check
# and each test case of each runner counts once. Exits non-zero when anything failed.
set -uo pipefail
export NO_COLOR=1
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p .tmp
bash scripts/system-deps.sh
# Swagger UI for /docs (npm start, the docs tests): .tmp/docs-ui/, in neither package.
node scripts/build-docs-assets.mjs >/dev/null
passed=0
failed=0
log=.tmp/test-log
: >"$log"

step() { # name, command...: a check that counts as one test
  local name=$1; shift
  echo "== $name"
  if "$@" >"$log.step" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; tail -n 60 "$log.step"
  fi
}

# Type-check in separate programs: the Workers types (worker.ts, Miniflare)
# redeclare globals such as Response, so they must not share a program with the rest.
isolated=(src/runtime/worker.ts tests/cache_workerd.test.ts tests/workerd_gateway.test.ts)
main_files=$(git ls-files --cached --others --exclude-standard 'mod.ts' 'src/*.ts' 'tests/*.ts' 'bench/*.ts' 'web/*.ts' 'examples/*.ts' 'scripts/*.ts' |
  grep -v -x -F "$(printf '%s\n' "${isolated[@]}")")
# shellcheck disable=SC2086
step "deno check (core)" deno check $main_files
for f in "${isolated[@]}"; do
  [ -f "$f" ] && step "deno check $f" deno check "$f"
done
step "deno lint" deno lint
step "deno fmt --check" deno fmt --check
step "deno publish --dry-run" deno publish --dry-run --allow-dirty
step "deno doc --lint (every public entry of deno.json)" node scripts/doc-lint.mjs
# Wrangler itself needs Node 22; Bun runs it here. Builds the Worker as a deploy would.
step "wrangler deploy --dry-run (the Worker builds)" env WRANGLER_SEND_METRICS=false \
  bun node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir .tmp/wrangler-out
step "deno test --doc (JSDoc examples)" deno test --doc -A mod.ts src/client src/cache src/hono src/web src/gateway src/rpc/mod.ts

# The test files: what deno test and bun test would find (*.test.ts, *_test.ts,
# ...), outside node_modules. Fixtures (tests/fixtures/, *.fixture.ts) are not tests.
mapfile -t test_files < <(git ls-files --cached --others --exclude-standard \
  '*.test.ts' '*_test.ts' '*.test.tsx' '*.test.js' '*.test.mjs' '*.spec.ts' '*_spec.ts' |
  grep -v -E '(^|/)node_modules/' | sort)
skipped=0

# Each runner: node scripts/count-tests.mjs runs it with a JUnit report and counts
# individual cases (describe bodies included). Any failed case, non-zero exit, Bun
# "error" line, Deno "failed"/ERRORS, missing summary, or a file that ran fewer
# cases than it declares counts as a failure. Deno runs each file with
# scripts/deno-test-preload.ts, so that a top-level throw, a timer's error or an
# unhandled rejection fails there as it does under Bun.
runner() { # deno|bun, extra runner arguments...
  local name=$1; shift
  local out=.tmp/test-$name
  echo "== $name test"
  local extra=()
  for a in "$@"; do extra+=(--runner-arg "$a"); done
  node scripts/count-tests.mjs "$name" --out "$out" ${extra[@]+"${extra[@]}"} "${test_files[@]}"
  local counts
  if counts=$(cat "$out/counts" 2>/dev/null) && [ -n "$counts" ]; then
    read -r p f s <<<"$counts"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    echo "FAIL $name test: scripts/count-tests.mjs counted nothing"; failed=$((failed + 1))
  fi
}
if [ ${#test_files[@]} -eq 0 ]; then
  echo "FAIL no test files found"; failed=$((failed + 1))
else
  runner deno
  runner bun --timeout 30000
  # The same files under both runners: each must run as many cases under both.
  echo "== deno and bun ran the same cases"
  compared=$(node scripts/count-tests.mjs --compare .tmp/test-deno .tmp/test-bun 2>&1)
  rc=$?
  echo "$compared"
  n=$(grep -c '^FAIL ' <<<"$compared" || true)
  [ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1
  failed=$((failed + n))
fi

echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
