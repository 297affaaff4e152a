""" "Me too": a new concern like an open one is offered to follow the existing one instead."""

from __future__ import annotations

import re

import pytest

from bot.core.duplicates import similarity
from tests.conftest import Harness


def test_a_similar_report_nearby_is_offered_to_follow(harness: Harness) -> None:
    ticket = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12")
    harness.say("ben", "Da liegt Sperrmüll am Adalbertsteinweg 12, seit Tagen")
    offer = harness.say("ben", "ja")[-1]
    assert ticket in offer.text and "folgen" in offer.text
    assert [c.id for c in offer.choices] == ["follow", "new"]
    followed = harness.say("ben", "1")[-1].text
    assert ticket in followed and "folgen jetzt" in followed
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[-1].text
    assert "Folgende: 1" in shown
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    assert "erledigt" in harness.console.to("resident:ben")[-1].text
    with harness.app.uow_factory() as uow:
        assert uow.concerns.get(2) is None  # no second concern was created


def test_declining_reports_a_new_concern(harness: Harness) -> None:
    first = harness.report("carla", "Sperrmüll am Adalbertsteinweg 20")
    harness.say("dora", "Sperrmüll am Adalbertsteinweg 20")
    harness.say("dora", "ja")
    done = harness.say("dora", "nein")[-1].text
    second = re.search(r"AC-2026-\d{5}", done)
    assert second and second.group(0) != first


def test_no_offer_for_another_category_another_place_or_ones_own(harness: Harness) -> None:
    harness.report("emil", "Sperrmüll am Adalbertsteinweg 30")
    harness.say("fritz", "Schlagloch am Adalbertsteinweg 30")
    assert "folgen" not in harness.say("fritz", "ja")[-1].text
    harness.say("gina", "Sperrmüll an der Jülicher Straße 5")
    assert "folgen" not in harness.say("gina", "ja")[-1].text
    harness.say("emil", "Nochmal Sperrmüll am Adalbertsteinweg 30")
    assert "folgen" not in harness.say("emil", "ja")[-1].text


def test_a_shared_location_close_by_counts_as_the_same_place(harness: Harness) -> None:
    harness.say("hans", "Sperrmüll auf dem Gehweg")
    harness.say("hans", "ja")
    first = harness.say("hans", location=(50.7705, 6.1120))[-1].text
    ticket = re.search(r"AC-2026-\d{5}", first).group(0)
    harness.say("ida", "Sperrmüll liegt auf dem Gehweg")
    harness.say("ida", "ja")
    offer = harness.say("ida", location=(50.7710, 6.1122))[-1].text  # about 60 m away
    assert ticket in offer and "folgen" in offer


def test_similarity_is_about_shared_words() -> None:
    assert similarity("Sperrmüll am Adalbertsteinweg", "sperrmuell adalbertsteinweg") == 1.0
    assert similarity("Laterne kaputt", "Schlagloch tief") == 0.0


def test_a_concern_without_a_place_reads_no_candidates_for_me_too(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a location, street or quarter no open concern is "the same place": the check
    # has nothing to compare, so it reads none of the (up to 200) open concerns.
    from storage.repositories import ConcernRepository

    harness.report("jana", "Sperrmüll liegt auf dem Gehweg")
    read: list[str] = []
    for name in ("open_like", "of_resident_and_open_like"):
        original = getattr(ConcernRepository, name)

        def spy(self, *args, _original=original, _name=name):  # type: ignore[no-untyped-def]
            read.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(ConcernRepository, name, spy)
    ticket = harness.report("karl", "Sperrmüll liegt auf dem Gehweg")
    assert ticket and read == []
    harness.report("lena", "Sperrmüll am Adalbertsteinweg 40")
    assert read  # with a place, the candidates are read


def _open_concerns_elsewhere(harness: Harness, count: int, **place: object) -> None:
    """`count` open illegal-dumping concerns, newer than any before, at other places."""
    from storage.models import Concern

    now = harness.app.services.clock()
    with harness.app.uow_factory() as uow:
        for n in range(count):
            uow.concerns.add(
                Concern(
                    created_at=now,
                    updated_at=now,
                    last_visible_update_at=now,
                    resident_id=None,
                    channel="console",
                    text=f"Sperrmüll liegt hier, Haufen {n}",
                    language="de",
                    category="illegal_dumping",
                    state="forwarded",
                    hidden=False,
                    **place,
                )
            )
        uow.commit()


def test_the_same_street_is_found_behind_many_newer_open_concerns_elsewhere(
    harness: Harness,
) -> None:
    # The database narrows the candidates to the draft's place before it takes the newest
    # 200: a busy city's other streets do not push the same street's concern out.
    ticket = harness.report("maria", "Sperrmüll am Adalbertsteinweg 50")
    with harness.app.uow_factory() as uow:
        first = uow.concerns.get(1)
        assert first is not None and first.category == "illegal_dumping"
    _open_concerns_elsewhere(
        harness, 210, address="Pontstraße 3", street_key="pontstrasse", quarter_id="mitte"
    )
    harness.say("nina", "Da liegt Sperrmüll am Adalbertsteinweg 50, seit Tagen")
    offer = harness.say("nina", "ja")[-1].text
    assert ticket in offer and "folgen" in offer


def test_a_concern_stored_without_a_street_key_is_still_compared(harness: Harness) -> None:
    # Concerns stored before the street key existed (migration 0010) have an address only:
    # they stay candidates at every street, and the words and street decide as before.
    ticket = harness.report("otto", "Sperrmüll am Adalbertsteinweg 60")
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(1)
        assert concern is not None and concern.street_key == "adalbertsteinweg"
        concern.street_key = None
        uow.commit()
    harness.say("paula", "Sperrmüll am Adalbertsteinweg 60, bitte abholen")
    offer = harness.say("paula", "ja")[-1].text
    assert ticket in offer and "folgen" in offer


def test_the_candidates_read_are_those_at_the_drafts_place(harness: Harness) -> None:
    from datetime import timedelta

    from storage.repositories import OpenLike

    _open_concerns_elsewhere(harness, 3, address="Pontstraße 3", street_key="pontstrasse")
    _open_concerns_elsewhere(harness, 2, lat=50.7705, lon=6.1120)  # a shared location
    _open_concerns_elsewhere(harness, 2, lat=50.7805, lon=6.1120)  # ~1.1 km north of it
    _open_concerns_elsewhere(harness, 4, quarter_id="burtscheid")
    since = harness.app.services.clock() - timedelta(days=1)
    like = OpenLike("illegal_dumping", ("forwarded",), since, 200)

    def found(**place: object) -> list[tuple[str | None, float | None, str | None]]:
        from dataclasses import replace

        with harness.app.uow_factory() as uow:
            rows = uow.concerns.open_like(replace(like, **place))
        return sorted({(c.address, c.lat, c.quarter_id) for c in rows}, key=repr)

    assert found(street="pontstrasse") == [("Pontstraße 3", None, None)]
    box = (50.7700, 50.7710, 6.1110, 6.1130)
    assert found(box=box) == [(None, 50.7705, None)]
    assert found(street="pontstrasse", box=box) == [
        ("Pontstraße 3", None, None),
        (None, 50.7705, None),
    ]
    assert found(quarter_id="burtscheid") == [(None, None, "burtscheid")]
    assert found(street="jakobstrasse") == []
