"""Receive cursors: where each channel's receiving resumes after a restart (Telegram's update
offset, Matrix's sync token), one channel_state row per cursor name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import ChannelState


class CursorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> str | None:
        row = self.session.get(ChannelState, name)
        return row.value if row else None

    def set(self, name: str, value: str, now: datetime) -> None:
        row = self.session.get(ChannelState, name)
        if row is None:
            self.session.add(ChannelState(name=name, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
