"""A resident's own data: /mydata shows exactly theirs; /delete erases it, concerns stay."""

from __future__ import annotations

import json

from tests.conftest import Harness


def test_mydata_exports_own_data_and_nobody_elses(harness: Harness) -> None:
    mine = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12, Tel 0241 123")
    other = harness.report("ben", "Schlagloch an der Jülicher Straße 4")
    harness.say("anna", f"/folgen {other}")
    harness.say("anna", "/abonnieren Burtscheid")
    answer = harness.say("anna", "/meinedaten")[-1]
    assert answer.document is not None and answer.document.name == "meinedaten.json"
    data = json.loads(answer.document.data)
    assert [c["ticket"] for c in data["concerns"]] == [mine]
    assert "Tel 0241 123" in data["concerns"][0]["text"]
    assert [c["ticket"] for c in data["following"]] == [other]
    assert "text" not in data["following"][0]  # another resident's words are not exported
    assert [s["quarter"] for s in data["subscriptions"]] == ["burtscheid"]
    assert "Schlagloch" not in answer.text and "Schlagloch" not in answer.document.data.decode()


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
    document = harness.say("carla", "/mydata")[-1].document
    assert document is not None
    data = json.loads(document.data)
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


def test_mydata_reads_well_on_a_phone_and_the_file_has_every_stored_field(
    harness: Harness, clock
) -> None:  # type: ignore[no-untyped-def]
    ticket = harness.report("hanna", "Sperrmüll am Adalbertsteinweg 12")
    harness.say("mueller", f"/status {ticket} in_arbeit Wir kommen Donnerstag.", staff=True)
    answer = harness.say("hanna", "/meinedaten")[-1]
    text = answer.text
    # Local time (10:00 UTC is 11:00 in Aachen in November), states in words, no JSON.
    assert f"• {ticket} vom 24.11.2026 11:00 – Wilder Müll" in text
    assert "in Bearbeitung" in text and "{" not in text and "in_progress" not in text
    assert "Ihre Konto-Kennung: hanna · Chat-Adresse: resident:hanna" in text
    assert "meinedaten.json" in text and "das ist alles" not in text.lower()
    data = json.loads(answer.document.data)
    assert data["account"]["account_id"] == "hanna"
    assert data["account"]["chat_address"] == "resident:hanna"
    assert data["concerns"][0]["created_at"] == "2026-11-24T11:00:00+01:00"
    states = [u["to_state"] for u in data["concerns"][0]["updates"]]
    assert states[-1] == "in_progress"
    assert any(u["text"] == "Wir kommen Donnerstag." for u in data["concerns"][0]["updates"])
    assert any(ticket in (m["text"] or "") for m in data["messages_to_you"])
    assert data["conversation"]["step"] == "idle"
