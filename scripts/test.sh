#!/usr/bin/env bash
# The whole test suite: static checks, the shared suite under Deno and under Bun,
# and the suites that need workerd, Redis or Chromium. Ends with "N passed, N failed".
set -uo pipefail
export NO_COLOR=1
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p .tmp
bash scripts/system-deps.sh
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
main_files=$(git ls-files --cached --others --exclude-standard 'mod.ts' 'src/*.ts' 'tests/*.ts' 'bench/*.ts' |
  grep -v -x -F "$(printf '%s\n' "${isolated[@]}")")
# shellcheck disable=SC2086
step "deno check (core)" deno check $main_files
for f in "${isolated[@]}"; do
  [ -f "$f" ] && step "deno check $f" deno check "$f"
done
step "deno lint" deno lint
step "deno fmt --check" deno fmt --check
step "deno publish --dry-run" deno publish --dry-run --allow-dirty
step "deno doc --lint mod.ts" deno doc --lint mod.ts
# Wrangler itself needs Node 22; Bun runs it here. Builds the Worker as a deploy would.
step "wrangler deploy --dry-run (the Worker builds)" env WRANGLER_SEND_METRICS=false \
  bun node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir .tmp/wrangler-out
step "deno test --doc (JSDoc examples)" deno test --doc -A mod.ts src/client src/cache src/rpc/mod.ts

echo "== deno test"
deno test -A --no-check tests/ 2>&1 | tee .tmp/deno-test.out
d_line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' .tmp/deno-test.out | tail -1)
if [ -n "$d_line" ]; then
  p=$(echo "$d_line" | sed -E 's/.*\| ([0-9]+) passed.*/\1/')
  f=$(echo "$d_line" | sed -E 's/.*\| ([0-9]+) failed.*/\1/')
  passed=$((passed + p)); failed=$((failed + f))
else
  echo "deno test printed no summary"; failed=$((failed + 1))
fi

echo "== bun test"
bun test --timeout 30000 2>&1 | tee .tmp/bun-test.out
b_pass=$(grep -E '^ *[0-9]+ pass$' .tmp/bun-test.out | tail -1 | tr -dc 0-9)
b_fail=$(grep -E '^ *[0-9]+ fail$' .tmp/bun-test.out | tail -1 | tr -dc 0-9)
if [ -n "$b_pass" ]; then
  passed=$((passed + b_pass)); failed=$((failed + ${b_fail:-0}))
else
  echo "bun test printed no summary"; failed=$((failed + 1))
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
