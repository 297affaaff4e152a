"""A draft as the conversation stores it between the steps of an intake."""

from __future__ import annotations

import dataclasses

from bot.core.concerns import Draft


def test_as_data_is_what_asdict_gives_with_its_own_list() -> None:
    draft = Draft(
        text="Schlagloch",
        language="tr",
        category="road_damage",
        score=0.91,
        address="Pontstraße 12",
        quarter_id="mitte",
        lat=50.78,
        lon=6.08,
        photo_ids=[3, 4],
    )
    data = draft.as_data()
    assert data == dataclasses.asdict(draft)
    assert data["photo_ids"] is not draft.photo_ids
    assert Draft().as_data() == dataclasses.asdict(Draft())
