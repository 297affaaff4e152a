#!/bin/sh
# Installs Debian's Dovecot IMAP server for the e-mail reply tests (tests/peers/dovecot_fixtures.py
# starts it as a test process with its own config on loopback; the system service is not used).
# Idempotent: does nothing when the dovecot binary is there. Needs apt-get and root; without
# them it says so and the tests that need Dovecot are skipped (failed under LOTSE_TEST_STRICT=1).
set -eu
if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_dovecot: dovecot not installed (needs root and apt-get: apt-get install" \
        "dovecot-imapd); the e-mail reply tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends dovecot-imapd >/dev/null
# Only the binaries are wanted: the packaged system service stays off.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/dovecot ]; then /etc/init.d/dovecot stop >/dev/null 2>&1 || true; fi
echo "setup_dovecot: dovecot-imapd installed"
