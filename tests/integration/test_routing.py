"""Routing: category → department, refined by quarter; the quarter manager always hears; no
department → the admins' triage room."""

from __future__ import annotations

import re

import pytest

from bot.config import ConfigError, Settings
from bot.core.directory import Directory
from tests.conftest import Harness

RICHTERICH = (50.8130, 6.0590)


def test_routing_table_rules_come_before_department_categories(settings: Settings) -> None:
    directory = Directory(settings)
    assert directory.department_for("neighbourhood", "richterich").id == "wohlfahrt"
    assert directory.department_for("neighbourhood", "burtscheid").id == "fb56"
    assert directory.department_for("neighbourhood", None).id == "fb56"
    assert directory.department_for("road_damage", "richterich").id == "strassen"
    assert directory.department_for("other", "richterich") is None


def test_a_rule_naming_an_unknown_department_is_a_clear_config_error(settings: Settings) -> None:
    raw = settings.model_dump()
    raw["routes"] = [{"category": "idea", "quarter": "kullen", "department": "nope"}]
    with pytest.raises((ConfigError, ValueError), match=r"routes\[0\]\.department"):
        Settings.model_validate(raw)


def _choose_and_place(harness: Harness, who: str, text: str, option: str) -> str:
    harness.say(who, text)  # the fake classifier is unsure: top three offered
    harness.say(who, option)
    done = harness.say(who, location=RICHTERICH)
    match = re.search(r"AC-2026-\d{5}", done[-1].text)
    assert match, done[-1].text
    return match.group(0)


def test_a_neighbourhood_matter_in_richterich_goes_to_the_partner_and_the_quarter(
    harness: Harness,
) -> None:
    ticket = _choose_and_place(harness, "anna", "Wir brauchen einen Treffpunkt", "3")
    assert ticket in harness.room("wohlfahrt")[-1].text
    assert ticket in harness.room("qm-integration")[-1].text
    assert all(ticket not in m.text for m in harness.room("fb56"))


def test_other_goes_to_the_admins_triage_room(harness: Harness) -> None:
    ticket = _choose_and_place(harness, "ben", "Wann hat das Bürgerbüro auf?", "1")
    assert ticket in harness.room("triage")[-1].text
