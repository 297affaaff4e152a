"""Fixtures for the tests against real peers (Synapse, the Telegram Bot API emulator)."""

from tests.peers.synapse_fixtures import make_nio_client, synapse, synapse_user
from tests.peers.telegram_fixtures import telegram_peer, telegram_server, tg_user

__all__ = [
    "make_nio_client",
    "synapse",
    "synapse_user",
    "telegram_peer",
    "telegram_server",
    "tg_user",
]
