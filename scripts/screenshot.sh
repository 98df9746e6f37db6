#!/usr/bin/env bash
# Regenerate docs/screenshot.png (the README's picture of the demo page): runs the
# browser test of the admin journey in headless Chromium (/usr/bin/chromium) with
# AUTHLITE_DOCS_SCREENSHOT=1. Every step's screenshot also lands in .tmp/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
AUTHLITE_DOCS_SCREENSHOT=1 deno test -A --no-check tests/e2e_browser.test.ts \
  --filter "manage roles"
echo "Wrote docs/screenshot.png"
