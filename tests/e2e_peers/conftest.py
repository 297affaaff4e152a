"""The tests against real peers (Synapse, the Telegram Bot API emulator) take their fixtures from
tests/peers/, registered once for the whole suite in tests/conftest.py (`pytest_plugins`), so
every directory shares one Synapse and one emulator."""
