"""Mail peers for the e2e tests: aiosmtpd (SMTP) and Dovecot (IMAP), as fixtures."""

from tests.peers.dovecot_fixtures import dovecot  # noqa: F401
from tests.peers.mail_fixtures import smtp_server, tls_files  # noqa: F401
