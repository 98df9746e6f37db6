#!/usr/bin/env bash
# The system programs the test suite needs beside Node and npm: redis-server
# (the Redis store's tests), chromium (the browser tests), wrk (the gateway
# benchmark). Installed from Debian's packages when missing and apt-get can.
set -euo pipefail
need=()
why=()
command -v redis-server >/dev/null 2>&1 ||
  { need+=(redis-server); why+=("redis-server: the Redis store's tests run against a real one"); }
command -v chromium >/dev/null 2>&1 ||
  { need+=(chromium); why+=("chromium: the browser tests drive the demo page in headless Chromium"); }
command -v wrk >/dev/null 2>&1 ||
  { need+=(wrk); why+=("wrk: the gateway benchmark's load generator"); }
[ ${#need[@]} -eq 0 ] && exit 0
echo "The test suite needs programs that are not installed:"
printf '  %s\n' "${why[@]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; }; then
  echo "Missing: ${need[*]}. Install them (Debian/Ubuntu: apt-get install ${need[*]}); the tests that need them fail without." >&2
  exit 0
fi
echo "Installing them from Debian's packages (apt-get install ${need[*]})${sudo:+, with sudo}"
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
