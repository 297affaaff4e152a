"""A bad config ends with one clear message naming the key; the example config is valid."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import EXAMPLE_CONFIG, ConfigError, load_settings

EXAMPLE = EXAMPLE_CONFIG.read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_for_aachen_is_valid() -> None:
    settings = load_settings(EXAMPLE_CONFIG)
    assert settings.city.name == "Aachen"
    assert {q.id for q in settings.quarters} >= {"ost-rothe-erde", "preuswald", "burtscheid"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'ticket_prefix = "AC"',
            'ticket_prefix = "ac1"',
            "city.ticket_prefix: String should match",
        ),
        (
            'timezone = "Europe/Berlin"',
            'timezone = "Europe/Aachen"',
            "city.timezone: unknown time zone 'Europe/Aachen'",
        ),
        (
            'categories = ["road_damage"]',
            'categories = ["potholes"]',
            "departments[0].categories[0]: 'potholes' is not a category id",
        ),
        (
            'categories = ["street_cleaning"]',
            'categories = ["illegal_dumping"]',
            "'illegal_dumping' is already handled by 'abfall'",
        ),
        (
            'departments = ["strassen"]',
            'departments = ["strasen"]',
            "staff[2].departments[0]: no department 'strasen'",
        ),
        (
            'managers = ["qm-ost"]',
            'managers = ["qm-west"]',
            "quarters[0].managers[0]: no staff member 'qm-west'",
        ),
        (
            "max_attempts = 12",
            "max_attempts = 0",
            "outbox.max_attempts: Input should be greater than or equal to 1",
        ),
        (
            "max_attempts = 12",
            "max_attempts = 'many'",
            "outbox.max_attempts: Input should be a valid integer",
        ),
        (
            "poll_seconds = 5.0",
            "poll_seconds = 5.0\npoll_secnds = 3",
            "outbox.poll_secnds: unknown key (misspelt?)",
        ),
        (
            '{ type = "console", room = "abfall" }',
            '{ type = "fax", room = "abfall" }',
            "departments[1].destinations[0]",
        ),
        ('name = "Aachen"\n', "", "city.name: is required but missing"),
    ],
)
def test_each_config_error_names_the_key_and_the_problem(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in EXAMPLE
    path = _write(tmp_path, EXAMPLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert expected in str(info.value)
    assert "Traceback" not in str(info.value)


def test_a_file_that_is_not_toml_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(_write(tmp_path, "[city\nname = 1"))


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*nope\.toml"):
        load_settings(tmp_path / "nope.toml")


def test_the_database_url_comes_from_the_environment_when_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOTSE_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/y")
    assert load_settings().database.resolved_url() == "postgresql+psycopg://x@127.0.0.1/y"


def test_every_category_of_the_taxonomy_is_known_to_the_example() -> None:
    taxonomy = tomllib.loads((EXAMPLE_CONFIG.parent / "nlp" / "taxonomy.toml").read_text())
    ids = {c["id"] for c in taxonomy["category"]}
    handled = {c for d in load_settings().departments for c in d.categories}
    assert handled == ids - {"other"}  # "other" goes to the admins' triage room
