"""Quiet hours per kind of message: staff news at night waits for the morning, staff are told
so, and /status shows the newest news at once."""

from __future__ import annotations

from tests.conftest import Harness
from tests.fakes import FakeClock


def test_news_at_night_waits_but_status_shows_it_and_staff_know_when_it_goes(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12")
    clock.advance(hours=10, minutes=30)  # 20:30 UTC = 21:30 in Aachen
    done = harness.say("mueller", f"/status {ticket} in_arbeit Wir kommen Donnerstag.", staff=True)
    assert "Ruhezeit" in done[-1].text and "um 08:00 Uhr" in done[-1].text
    replied = harness.say("mueller", f"/antwort {ticket} Bitte Foto schicken.", staff=True)
    assert "um 08:00 Uhr" in replied[-1].text
    pushed = [m.text for m in harness.console.to("resident:anna") if "Neuer Stand" in m.text]
    assert pushed == []  # no push at night
    clock.advance(minutes=5)
    status = harness.say("anna", f"/status {ticket}")[-1].text  # asked for: answered at once
    assert "in Bearbeitung" in status and "Bitte Foto schicken." in status
    clock.advance(hours=10, minutes=30)  # 07:05 UTC = 08:05 in Aachen
    harness.deliver()
    heard = [m.text for m in harness.console.to("resident:anna")]
    assert any("Neuer Stand" in t and "Wir kommen Donnerstag." in t for t in heard)
    assert any("Bitte Foto schicken." in t for t in heard)
    # By day, staff hear nothing about quiet hours.
    day = harness.say("mueller", f"/status {ticket} erledigt", staff=True)[-1].text
    assert "Ruhezeit" not in day
