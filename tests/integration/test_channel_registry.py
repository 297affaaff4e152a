"""What the channels declare (bot.channels.registry) is what the config, the runner and the jobs
use; the core imports no channel, and a chat library is imported only for an enabled channel."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels import registry
from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import EXAMPLE_CONFIG, REPO_ROOT, ConfigError, load_settings

CHAT_LIBRARIES = ("telegram", "nio", "aiohttp")


def test_the_built_in_channels_are_declared_in_one_table() -> None:
    names = [info.name for info in registry.channels()]
    assert names[:5] == ["console", "telegram", "matrix", "email", "open311"]
    chats = [info for info in registry.channels() if info.settings is not None]
    assert {info.name for info in chats} >= {"console", "telegram", "matrix"}
    for info in chats:
        assert info.destination is not None and info.account is not None
    adapters = {info.name: info.adapter for info in registry.channels() if info.adapter}
    assert adapters["telegram"] == "bot.channels.telegram.channel:TelegramChannel"
    assert adapters["matrix"] == "bot.channels.matrix.channel:MatrixChannel"
    cursors = {info.name: info.cursor for info in registry.channels() if info.cursor}
    # The names the cursors had before the registry, so an upgraded bot resumes where it was.
    assert cursors == {"telegram": "telegram:offset", "matrix": "matrix:next_batch"}


def test_what_a_channel_can_show_comes_from_its_declaration() -> None:
    assert registry.traits("telegram").images and registry.traits("telegram").buttons
    assert registry.traits("matrix").images and not registry.traits("matrix").buttons
    assert registry.traits("email").images
    assert not registry.traits("console").images
    assert registry.traits("carrier-pigeon") == ChannelTraits()


def test_a_second_channel_under_a_registered_name_is_refused() -> None:
    telegram = registry.channel("telegram")
    assert telegram is not None
    registry.register(telegram)  # the same declaration again: harmless
    with pytest.raises(ValueError, match="registered already"):
        registry.register(ChannelInfo(name="telegram", traits=ChannelTraits()))


def test_the_core_imports_no_channel_package_and_no_chat_library() -> None:
    offending = []
    for path in sorted((REPO_ROOT / "bot" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for module in modules:
                if module.startswith("bot.channels") or module.split(".")[0] in CHAT_LIBRARIES:
                    offending.append(f"{path.name}: {module}")
    assert offending == []


def test_reading_the_config_imports_no_chat_library() -> None:
    """Channels are declared by small modules; their adapters (and python-telegram-bot,
    matrix-nio) are imported only when `lotse run` starts an enabled channel."""
    script = (
        "import sys\n"
        "from bot.config import load_settings\n"
        "from bot.core.directory import Directory\n"
        "from bot.channels import registry\n"
        "Directory(load_settings())\n"
        "registry.channels()\n"
        f"print(sorted(m for m in {CHAT_LIBRARIES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'accounts = { console = "mueller" }',
            'accounts = { console = "mueller", telegram = "@mueller" }',
            "staff[1].accounts.telegram: Input should be a valid integer",
        ),
        (
            'accounts = { console = "mueller" }',
            'accounts = { console = "mueller", fax = "0241 123" }',
            "staff[1].accounts.fax: unknown key (misspelt?)",
        ),
        (
            "[channels.matrix]\nenabled = false",
            '[channels.matrix]\nenabled = false\nhomeserverr = "x"',
            "channels.matrix.homeserverr: unknown key (misspelt?)",
        ),
        (
            'mode = "polling"',
            'mode = "carrier-pigeon"',
            "channels.telegram.mode: Input should be 'polling' or 'webhook'",
        ),
        (
            '{ type = "console", room = "abfall" }',
            '{ type = "telegram", room = "abfall" }',
            "departments[1].destinations[0].chat_id: is required but missing",
        ),
        (
            '{ type = "console", room = "abfall" }',
            '{ room = "abfall" }',
            "departments[1].destinations[0].type: is required but missing",
        ),
    ],
)
def test_channel_sections_accounts_and_destinations_are_checked_by_their_channel(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert expected in str(info.value)
