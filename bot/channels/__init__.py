"""Channel adapters: thin translators between a chat network and the core."""
