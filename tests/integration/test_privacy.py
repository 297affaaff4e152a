"""A resident's own data: /mydata shows exactly theirs; /delete erases it, concerns stay."""

from __future__ import annotations

import json

from tests.conftest import Harness


def test_mydata_exports_own_data_and_nobody_elses(harness: Harness) -> None:
    mine = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12, Tel 0241 123")
    other = harness.report("ben", "Schlagloch an der Jülicher Straße 4")
    harness.say("anna", f"/folgen {other}")
    harness.say("anna", "/abonnieren Burtscheid")
    text = harness.say("anna", "/meinedaten")[-1].text
    data = json.loads(text.split("\n", 1)[1])
    assert [c["ticket"] for c in data["concerns"]] == [mine]
    assert "Tel 0241 123" in data["concerns"][0]["text"]
    assert [c["ticket"] for c in data["following"]] == [other]
    assert "text" not in data["following"][0]  # another resident's words are not exported
    assert data["subscriptions"] == ["burtscheid"]
    assert "Schlagloch" not in text


def test_delete_asks_first_then_erases_but_keeps_the_concern(harness: Harness) -> None:
    ticket = harness.report("carla", "Sperrmüll am Adalbertsteinweg 20")
    ask = harness.say("carla", "/löschen")[-1]
    assert "wirklich" in ask.text and [c.id for c in ask.choices] == ["delete-yes", "delete-no"]
    assert "bleibt alles" in harness.say("carla", "nein")[-1].text
    harness.say("carla", "/löschen")
    assert "gelöscht" in harness.say("carla", choice="delete-yes")[-1].text
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None and concern.resident_id is None
        assert concern.text == "Sperrmüll am Adalbertsteinweg 20"  # the city's work stays
        assert uow.residents.find("console", "carla") is None
    # Staff still work the concern; the erased person is not messaged any more.
    before = len(harness.console.to("resident:carla"))
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    assert len(harness.console.to("resident:carla")) == before
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[-1].text
    assert "Sperrmüll am Adalbertsteinweg 20" in shown
    # Writing again starts afresh, as a new pseudonymous resident with nothing on record.
    data = json.loads(harness.say("carla", "/mydata")[-1].text.split("\n", 1)[1])
    assert data["concerns"] == [] and data["following"] == []


def test_pending_messages_to_an_erased_resident_are_cancelled(harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    ticket = harness.report("dora", "Sperrmüll am Adalbertsteinweg 30")
    clock.advance(hours=11)  # 21:00 UTC = 22:00 in Berlin: status news waits for the morning
    harness.say("mueller", f"/status {ticket} in_arbeit", staff=True)
    harness.say("dora", "/delete")
    harness.say("dora", choice="delete-yes")
    clock.advance(hours=12)
    harness.deliver()
    assert not [m for m in harness.console.to("resident:dora") if "in Bearbeitung" in m.text]


def test_retention_anonymises_done_concerns_after_the_period(harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.jobs.retention import anonymise_expired

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 32
    harness.say("emil", photo=jpeg)
    done = harness.report("emil", "Sperrmüll am Adalbertsteinweg 44")
    still_open = harness.report("fritz", "Schlagloch an der Jülicher Straße 9")
    harness.say("gina", f"/folgen {done}")
    harness.say("mueller", f"/status {done} erledigt", staff=True)
    services, factory = harness.app.services, harness.app.uow_factory
    clock.advance(days=364)
    assert anonymise_expired(services, factory) == 0
    clock.advance(days=2)
    assert anonymise_expired(services, factory) == 1
    assert anonymise_expired(services, factory) == 0  # repeating is harmless
    with factory() as uow:
        concern = uow.concerns.get(int(done[-5:]))
        assert concern is not None and concern.resident_id is None
        assert concern.text == "Sperrmüll am Adalbertsteinweg 44"
        assert uow.concerns.photos_of(concern.id) == []
        assert uow.concerns.follower_count(concern.id) == 0
        assert uow.concerns.get(int(still_open[-5:])).resident_id is not None
