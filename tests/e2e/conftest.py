"""Peers for the e2e tests: aiosmtpd (SMTP), Dovecot (IMAP) and the Telegram Bot API emulator
(the crash drill runs on it as well), as fixtures."""

from tests.peers.dovecot_fixtures import dovecot
from tests.peers.mail_fixtures import smtp_server, tls_files
from tests.peers.telegram_fixtures import telegram_peer, telegram_server

__all__ = ["dovecot", "smtp_server", "telegram_peer", "telegram_server", "tls_files"]
