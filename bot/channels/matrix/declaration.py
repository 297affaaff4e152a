"""What the Matrix channel declares (bot.channels.registry): its [channels.matrix] section, rooms
as destinations, Matrix user ids as staff accounts, and its sync token as the receive cursor. No
matrix-nio here: that comes with the adapter, when enabled."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import BaseDestination, ChannelSettings


class MatrixSettings(ChannelSettings):
    """[channels.matrix]"""

    homeserver: str = "https://matrix.example.org"
    user_id: str = "@lotse:example.org"
    device_id: str = "QUARTIERSLOTSE"
    password_env: str = "LOTSE_MATRIX_PASSWORD"
    access_token_env: str = "LOTSE_MATRIX_ACCESS_TOKEN"
    # Device keys for encrypted rooms; keep the directory across restarts.
    store_path: str = "data/matrix-store"
    invite_policy: Literal["anyone", "listed_homeservers"] = "anyone"
    allowed_homeservers: list[str] = Field(default_factory=list)


class MatrixDestination(BaseDestination):
    """`{ type = "matrix", room_id = "!abc:server" }`: a staff room."""

    type: Literal["matrix"]
    room_id: str

    @field_validator("room_id")
    @classmethod
    def _room_id(cls, value: str) -> str:
        # Room ids are "!opaque:server", or just "!opaque" since room version 12.
        if not (value.startswith("!") and len(value) > 1) and not (
            value.startswith("#") and ":" in value
        ):
            raise ValueError("must look like !roomid[:server] or #alias:server")
        return value

    def address(self) -> str:
        return self.room_id


MATRIX = ChannelInfo(
    name="matrix",
    # Choices are numbered, with keycap reactions to tap rather than buttons.
    traits=ChannelTraits(images=True, html=True, files=True),
    settings=MatrixSettings,
    destination=MatrixDestination,
    account=str,
    adapter="bot.channels.matrix.channel:MatrixChannel",
    cursor="matrix:next_batch",
)
