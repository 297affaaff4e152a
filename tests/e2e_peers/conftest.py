"""Fixtures for the tests against real peers (here: Synapse)."""

from tests.peers.synapse_fixtures import make_nio_client, synapse, synapse_user

__all__ = ["make_nio_client", "synapse", "synapse_user"]
