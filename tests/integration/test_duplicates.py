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
