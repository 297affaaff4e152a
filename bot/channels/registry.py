"""Which channels the bot knows, and what each one declares: the one place to add a channel.

A channel (a chat network, or a destination that is not a chat: e-mail, Open311) declares a
`ChannelInfo`: its `[channels.<name>]` settings class, its address kinds (the destination a
config names with `{ type = "<name>", ... }` and the staff account id in `[[staff]].accounts`),
what it can show (`ChannelTraits`), where its receive cursor is stored, and its adapter.
Adding a channel is one package and one registration: a line in BUILT_IN, or `register(info)`.

This module imports no channel when it is imported. The declarations in BUILT_IN are imported on
the first lookup (they are small: pydantic models, no chat library); an adapter, which brings its
chat library, only when its channel is enabled (`ChannelInfo.adapter` is "module:attribute").
The config and the jobs look channels up here by name; the core needs none of it (a destination
forms its own address).
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.config import BaseDestination, ChannelSettings

# "module:attribute" of each built-in channel's ChannelInfo, in the order they are listed.
BUILT_IN = (
    "bot.channels.console:CONSOLE",
    "bot.channels.telegram.declaration:TELEGRAM",
    "bot.channels.matrix.declaration:MATRIX",
    "bot.destinations:EMAIL",
    "bot.destinations:OPEN311",
)


@dataclass(frozen=True)
class ChannelTraits:
    """What a channel can show its recipients."""

    images: bool = False  # photos and charts, not just a note that there is one
    buttons: bool = False  # choices and staff actions as buttons to press
    html: bool = False  # formatted text (bold, links)
    files: bool = False  # documents, e.g. the /meinedaten export


@dataclass(frozen=True)
class ChannelInfo:
    """A channel's declaration. Only `name` and `traits` are needed; the rest where it applies."""

    name: str  # the channel's name in outbox rows, Incoming, addresses and the config
    traits: ChannelTraits
    # Its [channels.<name>] section (chat networks; e-mail and Open311 have their own sections).
    settings: type[ChannelSettings] | None = None
    # Its address kind in `destinations = [...]`: the model for `{ type = "<name>", ... }`.
    destination: type[BaseDestination] | None = None
    # The type of a staff member's verified id on it (`[[staff]].accounts.<name>`): int or str.
    account: type | None = None
    # "module:attribute" of its network adapter, called with the App (see base.NetworkChannel);
    # imported only when the channel is enabled.
    adapter: str | None = None
    # The name its receive cursor is stored under (base.ReceiveCursor), if it has one.
    cursor: str | None = None

    def load_adapter(self) -> Callable[..., Any]:
        """The adapter class: called with the App, it makes a bot.channels.base.NetworkChannel."""
        if self.adapter is None:
            raise LookupError(f"channel {self.name!r} has no network adapter")
        return _load(self.adapter)  # type: ignore[no-any-return]


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._channels: dict[str, ChannelInfo] = {}
        self._loaded = False

    def all(self) -> dict[str, ChannelInfo]:
        with self._lock:
            if not self._loaded:
                built_in = [_load(path) for path in BUILT_IN]
                # Registered before the first lookup (a test's toy channel) come after them.
                self._channels = {info.name: info for info in built_in} | self._channels
                self._loaded = True
            return self._channels

    def register(self, info: ChannelInfo) -> None:
        with self._lock:
            known = self._channels.get(info.name)
            if known is not None and known != info:
                raise ValueError(f"a channel named {info.name!r} is registered already")
            self._channels[info.name] = info

    def unregister(self, name: str) -> None:
        with self._lock:
            self._channels.pop(name, None)


_REGISTRY = _Registry()  # like codecs.register: what a process knows; holds declarations only


def register(info: ChannelInfo) -> None:
    """Make a channel known (the config accepts its section, destinations and accounts; `lotse
    run` starts it when enabled). Built-in channels are listed in BUILT_IN instead."""
    _REGISTRY.register(info)


def unregister(name: str) -> None:
    """Forget a registered channel (tests that register one clean up with it)."""
    _REGISTRY.unregister(name)


def channels() -> list[ChannelInfo]:
    """Every known channel, the built-in ones first."""
    return list(_REGISTRY.all().values())


def channel(name: str) -> ChannelInfo | None:
    return _REGISTRY.all().get(name)


def traits(name: str) -> ChannelTraits:
    """What the channel `name` can show; nothing special for a channel nobody declared."""
    info = channel(name)
    return info.traits if info is not None else ChannelTraits()


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
