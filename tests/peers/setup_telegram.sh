#!/bin/sh
# Installs the Telegram Bot API emulator (telegram-test-api, pinned in package-lock.json) into
# tests/peers/telegram/node_modules for the end-to-end tests. Idempotent: does nothing when the
# installed tree matches the lock file. Needs Node.js >= 18 and npm (only the npm registry).
set -eu
cd "$(dirname "$0")/telegram"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup_telegram: node/npm not found; the Telegram e2e tests will be skipped" >&2
    exit 0
fi
stamp=node_modules/.lotse-installed
if [ -f "$stamp" ] && [ -f node_modules/telegram-test-api/package.json ] \
    && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "setup_telegram: telegram-test-api installed in $(pwd)/node_modules"
