"""Peers for the e2e tests: aiosmtpd (SMTP), Dovecot (IMAP) and the Telegram Bot API emulator
(the crash drill runs on it as well), as fixtures. Synapse and the emulator are registered for
the whole suite in tests/conftest.py, so every directory shares one of each."""

from tests.peers.dovecot_fixtures import dovecot
from tests.peers.mail_fixtures import smtp_server, tls_files

__all__ = ["dovecot", "smtp_server", "tls_files"]
