"""The channel-agnostic dialogue core: Incoming -> outbox messages. No chat library imports here."""
