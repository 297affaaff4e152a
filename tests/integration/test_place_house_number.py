"""With the shipped pipeline: the house number a resident names is stored on the concern and
shown to the department."""

from __future__ import annotations

from bot.bootstrap import build_app
from bot.config import Settings
from nlp import load_classifier
from tests.conftest import Harness
from tests.fakes import FakeClock


def test_the_department_gets_street_and_house_number(
    settings: Settings, database_url: str, clock: FakeClock
) -> None:
    app = build_app(
        settings,
        classifier=load_classifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        ticket = harness.report(
            "anna", "Schlagloch in der Jülicher Straße vor Hausnummer 40, tief und gefährlich"
        )
        with app.uow_factory() as uow:
            concern = uow.concerns.get(int(ticket[-5:]))
            assert concern is not None and concern.address == "Jülicher Straße 40"
        forwarded = [m.text for m in harness.console.sent if ticket in m.text][-1]
        assert "Ort: Jülicher Straße 40" in forwarded
    finally:
        app.close()
