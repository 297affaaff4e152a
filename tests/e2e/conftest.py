"""The crash drill runs on the Telegram Bot API emulator as well (tests/e2e/test_crash.py)."""

from tests.peers.telegram_fixtures import telegram_peer, telegram_server

__all__ = ["telegram_peer", "telegram_server"]
