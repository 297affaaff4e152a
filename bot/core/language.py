"""Which language the bot speaks with a resident, and how they change it.

A resident's language comes from, in this order: their own choice (/language), the language
the classifier finds in their first message long enough to tell, their chat app's language,
the city's default. The bot says once per language, in that language, how to change it.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import replace
from importlib import resources

from bot.core.commands import CommandSpec, ParsedCommand
from bot.core.errors import UsageError
from bot.core.messages import Choice
from bot.core.turn import Turn
from storage.models import Resident

STEP = "choose_language"
CHOICE_PREFIX = "lang:"
# A message shorter than this says too little about its language ("ja", "1", "Hallo").
MIN_LETTERS, MIN_WORDS = 20, 3


def command_names() -> dict[str, dict[str, list[str]]]:
    """Per language, the names residents may type for a command (keyed by its English name)."""
    text = resources.files("bot.core").joinpath("command_names.toml").read_text("utf-8")
    return tomllib.loads(text)


def with_local_names(specs: list[CommandSpec]) -> list[CommandSpec]:
    """The specs with every language's names for them added (each name once)."""
    names = command_names()
    out = []
    for spec in specs:
        extra = [n for lang in names.values() for n in lang.get(spec.names[0], [])]
        unique = tuple(dict.fromkeys([*spec.names, *extra]))
        out.append(replace(spec, names=unique))
    return out


def long_enough(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS and sum(map(str.isalpha, text)) >= MIN_LETTERS


# The script each language is written in: a detected language must fit the letters it was
# detected from (a detector that falls back to German on an Arabic text is not sure of it).
_SCRIPT = {"ar": "ARABIC", "ru": "CYRILLIC", "uk": "CYRILLIC"}


def written_in_script_of(text: str, lang: str) -> bool:
    """Most letters of `text` are of the script `lang` is written in (Latin by default)."""
    # Capitalised Latin words in another script's text are names (streets, "Sperrmüll").
    words = text.split()
    names = [unicodedata.name(c, "") for w in words for c in w if c.isalpha()]
    if not all(name.startswith("LATIN") for name in names):
        words = [w for w in words if not (w[:1].isupper() and w[:1].isascii())]
        names = [unicodedata.name(c, "") for w in words for c in w if c.isalpha()]
    script = _SCRIPT.get(lang, "LATIN")
    fitting = [name for name in names if name.startswith(script)]
    return len(fitting) * 2 > len(names)


def settle(turn: Turn, resident: Resident) -> None:
    """Before a resident's message is handled: adopt the language of their first message that
    is long enough to tell, unless they chose one. A later message does not switch it back."""
    text = (turn.incoming.text or "").strip()
    if (
        resident.language_chosen
        or resident.language_detected
        or turn.incoming.choice
        or text.startswith("/")
        or not long_enough(text)
    ):
        return
    detect = turn.services.detect_language
    # With the resident's language as the fallback, a text that does not tell keeps it.
    detected = detect(text, resident.language) if detect else _classified_language(turn, text)
    if detected in turn.services.texts.languages and written_in_script_of(text, detected):
        resident.language, resident.language_detected = detected, True
        turn.language = detected


def _classified_language(turn: Turn, text: str) -> str:
    return turn.services.classifier.classify(text).language


def announce(turn: Turn, resident: Resident) -> bool:
    """Once per language, how to change it: added to the first reply of this turn (a message of
    its own would come between a question and its answer). The city's own language needs no
    note on first contact: /help lists /language. True when the note is waiting to be said."""
    if resident.language_chosen or resident.language_told == turn.language:
        return False
    if turn.language == turn.services.texts.default_language and resident.language_told is None:
        return False
    turn.postscript = turn.text("language-how-to-change")
    return True


def announced(turn: Turn, resident: Resident) -> None:
    """After the turn: the note counts as said only if a reply carried it."""
    if not turn.postscript:
        resident.language_told = turn.language
    turn.postscript = ""


def choose(turn: Turn, cmd: ParsedCommand) -> None:
    """/language tr sets it at once; /language alone offers the languages to pick."""
    wanted = cmd.args.strip().lower()
    if not wanted:
        turn.set_step(STEP, {})
        turn.reply("language-choose", _choices(turn))
        return
    code = _code_for(turn, wanted)
    if code is None:
        raise UsageError(turn.text("usage-language"))
    _set(turn, code)


def on_choice(turn: Turn) -> None:
    """The answer to the language menu: a button, its number, the language's name or code."""
    said = (turn.incoming.choice or turn.incoming.text or "").strip()
    code = _code_for(turn, said.removeprefix(CHOICE_PREFIX).lower())
    if code is None:
        # Not an answer to the menu: the menu is dropped and the message handled as usual.
        from bot.core import intake

        turn.set_step("idle", {})
        intake.handle(turn)
        return
    turn.set_step("idle", {})
    _set(turn, code)


def _choices(turn: Turn) -> list[Choice]:
    texts = turn.services.texts
    return [Choice(CHOICE_PREFIX + lang, texts(lang, "language-self")) for lang in texts.languages]


def _code_for(turn: Turn, said: str) -> str | None:
    texts = turn.services.texts
    languages = texts.languages
    if said.isdecimal() and 1 <= int(said) <= len(languages):
        return languages[int(said) - 1]
    for lang in languages:
        names = {lang, _plain(texts(lang, "language-self")), _plain(turn.text(f"language-{lang}"))}
        if _plain(said) in names:
            return lang
    return None


def _plain(text: str) -> str:
    from bot.bidi import strip_controls

    return strip_controls(text).strip().casefold()


def _set(turn: Turn, code: str) -> None:
    assert turn.resident is not None
    resident = turn.resident
    resident.language, resident.language_chosen = code, True
    resident.language_told = code  # the confirmation says how to change it again
    turn.language = code
    turn.postscript = ""
    turn.reply("language-set")
