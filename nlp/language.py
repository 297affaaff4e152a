"""Which of the bot's languages a message is in.

py3langid (its model ships inside the package) restricted to the seven languages the bot
speaks, with three things around it that short chat messages need:
- Script first: Arabic script can only be Arabic here, and Cyrillic only Russian or Ukrainian,
  so the detector only chooses inside the script the message is written in.
- German street and place names ("Jülicher Straße", "Kennedypark'ta") are in every language's
  messages and pull a character n-gram model towards German; they are masked before detection
  as long as enough of the message is left.
- Very short messages ("ja", "1", "hallo", an emoji) carry no language: the caller's fallback
  (the resident's stored language) is the honest answer, and so it is for short messages the
  detector is unsure about. Letters only one language of the seven uses (ğ ş ı for Turkish,
  ą ę ł … for Polish, і ї є ґ for Ukrainian, ы э ъ ё for Russian) still decide.
- Russian or Ukrainian: the letters above, then everyday words only one of the two spells that
  way ("что"/"що", "уже"/"вже"), then the detector.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier  # type: ignore[import-untyped]

LANGUAGES: tuple[str, ...] = ("de", "en", "tr", "ar", "ru", "uk", "pl")
DEFAULT_LANGUAGE = "de"

# Below this many letters outside place names a message says nothing about its language.
_MIN_LETTERS = 10
# Fewer words than this are "short": only letters unique to one language decide then.
_MIN_WORDS = 2
# A Latin-script guess below this probability keeps the fallback if that is among the top two.
_SURE = 0.75
# Messages with fewer letters than this keep the fallback whenever the detector is unsure.
_SHORT = 25
# The language shows in the first few hundred characters; the detector's cost grows with length.
_MAX_CHARS = 400

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Letters that, among the seven languages, only one uses.
_UNIQUE_LETTERS = (
    ("tr", re.compile(r"[ğşıçİĞŞÇ]")),
    ("pl", re.compile(r"[ąęłńśźżćĄĘŁŃŚŹŻĆ]")),
    # Ukrainian also writes an apostrophe where Russian has ъ ("п'ять", "м'яч").
    ("uk", re.compile(r"[іїєґІЇЄҐ]|[бпвмфрБПВМФР]['’ʼ][яюєїЯЮЄЇ]")),
    ("ru", re.compile(r"[ыэъёЫЭЪЁ]")),
)

# Everyday words that are Russian but not Ukrainian and the other way round (spelt
# differently, not just stressed differently): they decide where the letters do not.
_RU_WORDS = frozenset(
    [
        "что",
        "это",
        "уже",
        "очень",
        "или",
        "нужно",
        "надо",
        "нет",
        "когда",
        "где",
        "здесь",
        "тоже",
        "только",
        "который",
        "которая",
        "которые",
        "еще",
        "ее",
        "его",
        "они",
        "оно",
        "вы",
        "он",
        "она",
        "этот",
        "эта",
        "эту",
        "этого",
        "из",
        "со",
        "же",
        "чтобы",
        "был",
        "была",
        "было",
        "будет",
        "можно",
        "нельзя",
        "почему",
        "потому",
        "сейчас",
        "после",
        "около",
        "возле",
        "кто",
        "какой",
        "какая",
        "опять",
        "снова",
        "всегда",
        "никто",
        "ничего",
        "сегодня",
        "вчера",
        "неделю",
        "недели",
        "месяц",
        "пожалуйста",
        "спасибо",
        "улица",
        "улице",
        "улицу",
        "дом",
        "дома",
        "доме",
        "двор",
        "дворе",
        "рядом",
    ]
)
_UK_WORDS = frozenset(
    [
        "що",
        "це",
        "вже",
        "дуже",
        "або",
        "треба",
        "немає",
        "нема",
        "коли",
        "де",
        "тут",
        "також",
        "тільки",
        "лише",
        "який",
        "яка",
        "яке",
        "які",
        "ще",
        "її",
        "його",
        "вони",
        "воно",
        "ви",
        "він",
        "вона",
        "цей",
        "ця",
        "цю",
        "цього",
        "із",
        "зі",
        "щоб",
        "був",
        "була",
        "було",
        "буде",
        "можна",
        "чому",
        "тому",
        "зараз",
        "після",
        "біля",
        "хтось",
        "хто",
        "знову",
        "завжди",
        "ніхто",
        "нічого",
        "сьогодні",
        "вчора",
        "тиждень",
        "тижня",
        "місяць",
        "будь",
        "ласка",
        "дякую",
        "вулиця",
        "вулиці",
        "вулицю",
        "будинок",
        "будинку",
        "поруч",
        "та",
    ]
)

# German place names: a capitalised word ending in a street/place word ("Jülicher Straße",
# "Kennedypark", "Driescher Hof", "Adalbertsteinweg 12"), with one capitalised word before it,
# and any suffix a Turkish writer attaches with an apostrophe ("Kennedypark'ta").
_PLACE_END = (
    r"stra(?:ß|ss)e|str\.?|weg|steinweg|platz|park|allee|ring|hof|gasse|graben|berg|feld|tor"
    r"|wall|bahnhof|markt|viertel|siedlung|wald|dorf|bach|erde|kirche|brücke|ufer|garten|heide"
    r"|straat"
)
# A capitalised word before the name, but not a German article or pronoun ("Die Straße").
_DETERMINERS = (
    r"(?:Eine|Einer|Einem|Unsere|Unserer|Meine|Meiner|Diese|Dieser|Jede|Ganze|Keine|Seine|Ihre)"
)
_CAP = rf"(?!{_DETERMINERS}\b)[A-ZÄÖÜ][a-zäöüß]{{3,}}(?:-[A-ZÄÖÜa-zäöüß]+)*"
_PLACE = re.compile(
    rf"(?:{_CAP}[\s\-]+)?"
    rf"(?:[A-ZÄÖÜ][a-zäöüß\-]*(?:{_PLACE_END})|(?:Stra(?:ß|ss)e|Str\.?|Platz|Weg|Hof|Park|Erde|Allee|Ring|Tor|Markt))"
    r"(?![a-zäöüß])(?:['’`][^\W\d_]+)?(?:\s*\d{1,4}\s?[a-z]?\b)?"
)
# The same typed in lower case, as residents on a phone do ("jülicher str", "trierer strasse").
_LOWER_STREET = re.compile(
    r"(?<![^\W\d_])(?:(?!(?:einer|unser|unserer|dieser|jeder|ihrer|seiner|meiner|keiner)\s)"
    r"[a-zäöüß]{3,}er\s+)?(?:[a-zäöüß]*stra(?:ß|ss)e|str\.?)(?![^\W\d_])"
)
# Names residents use that the pattern above does not catch (quarters, landmarks, the city).
_NAMES = re.compile(
    r"\b(?:Aachen|Aachener|Preuswald|Forst|Eilendorf|Richterich|Kronenberg|Kullen|Haaren"
    r"|Brand|Burtscheid|Laurensberg|Vaalserquartier|Nordviertel|Ostviertel|Kaiserplatz"
    r"|Elisenbrunnen|Bushof|Pontviertel|Frankenberger|Talbot|Westpark|Hauptbahnhof|ASEAG"
    r"|Öcher|Rothe|Driescher)(?:['’`][^\W\d_]+)?\b"
)


@cache
def _identifier() -> LanguageIdentifier:
    """The restricted detector, built on first use (nlp/language_model.py: ~0.05 s)."""
    from nlp.language_model import identifier

    detector: LanguageIdentifier = identifier(LANGUAGES)
    return detector


# Everyday German nouns that end like a place name but are not one: in a German message they
# are German evidence and stay.
_NOT_PLACES = frozenset(
    [
        "spielplatz",
        "parkplatz",
        "sportplatz",
        "bolzplatz",
        "marktplatz",
        "radweg",
        "gehweg",
        "fußweg",
        "fussweg",
        "feldweg",
        "waldweg",
        "schulweg",
        "friedhof",
        "hinterhof",
        "innenhof",
        "schulhof",
        "wertstoffhof",
        "bauhof",
        "kreisverkehr",
        "vorgarten",
        "schrebergarten",
        "kindergarten",
        "biergarten",
        "müllberg",
        "laubberg",
    ]
)


def _blank_place(match: re.Match[str]) -> str:
    name = match.group(0)
    last = re.split(r"[\s\-]+", name.strip())[-1].lower().strip(".,;:!?")
    return name if last in _NOT_PLACES else " "


def without_place_names(text: str) -> str:
    """The text with German street/place names and links blanked out."""
    text = _URL.sub(" ", text)
    text = _PLACE.sub(_blank_place, text)
    text = _LOWER_STREET.sub(" ", text)
    return _NAMES.sub(" ", text)


def _unique_letter_language(text: str) -> str | None:
    found = {lang for lang, letters in _UNIQUE_LETTERS if letters.search(text)}
    return found.pop() if len(found) == 1 else None


def _rank(text: str, allowed: tuple[str, ...]) -> list[tuple[str, float]]:
    ranked = [(lang, p) for lang, p in _identifier().rank(text) if lang in allowed]
    total = sum(p for _, p in ranked) or 1.0
    return [(lang, p / total) for lang, p in ranked]


def detect_language(text: str, fallback: str | None = None) -> str:
    """The ISO code (one of LANGUAGES) of `text`; `fallback` (else German) when unclear."""
    default = fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE
    text = text[:_MAX_CHARS]
    rest = without_place_names(text)
    if len(_LETTER.findall(rest)) < _MIN_LETTERS // 2:
        rest = text  # all place names: nothing else to go by, so keep them
    letters = _LETTER.findall(rest)
    arabic = len(_ARABIC.findall(rest))
    cyrillic = len(_CYRILLIC.findall(rest))
    if letters and arabic * 2 >= len(letters):
        return "ar" if arabic >= 2 else default
    if letters and cyrillic * 2 >= len(letters):
        return _cyrillic_language(rest, default)
    latin = "".join(c for c in rest if not (_ARABIC.match(c) or _CYRILLIC.match(c)))
    if len(letters) < _MIN_LETTERS or len(_WORD.findall(latin)) < _MIN_WORDS:
        unique = _unique_letter_language(latin)
        return unique if unique in ("tr", "pl") else default
    ranked = _rank(latin, ("de", "en", "tr", "pl"))
    best, probability = ranked[0]
    if best == _unique_letter_language(latin):
        return best  # "alınır", "dzięki": the letters agree with the detector
    if probability < _SURE and (default in (best, ranked[1][0]) or len(letters) < _SHORT):
        return default
    return best


def _cyrillic_language(text: str, default: str) -> str:
    # Russian never writes і ї є ґ and Ukrainian never ы э ъ ё: with only one of the two
    # sets present that decides, at any length (a message with both goes to the detector).
    unique = _unique_letter_language(text)
    if unique in ("ru", "uk"):
        return unique
    short = len(_WORD.findall(text)) < _MIN_WORDS or len(_LETTER.findall(text)) < _MIN_LETTERS
    if short and default in ("ru", "uk"):
        return default
    words = set(_WORD.findall(text.lower()))
    ru, uk = len(words & _RU_WORDS), len(words & _UK_WORDS)
    if ru != uk:
        return "ru" if ru > uk else "uk"
    ranked = _rank(text, ("ru", "uk"))
    best, probability = ranked[0]
    if probability < _SURE and default in ("ru", "uk"):
        return default
    return best
