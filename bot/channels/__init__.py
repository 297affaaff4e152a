"""Channel adapters: thin translators between a chat network and the core.

A channel is one package here (telegram/, matrix/) or module (console.py) that declares a
`registry.ChannelInfo` (its settings section, destination and account kinds, what it can show,
its receive cursor, its adapter) and one line in `registry.BUILT_IN`. The rest of the bot looks
channels up by name in the registry; the core imports nothing from here.
"""
