"""Arabic reads right: how rendered RTL texts display, checked with the Unicode bidirectional
algorithm (python-bidi), as Telegram plain text and as Matrix HTML."""

from __future__ import annotations

import sys

from bidi import get_base_level, get_display

from bot.bidi import FSI, LRI, PDI, RLM, has_rtl, is_rtl_char, strip_controls
from bot.channels.matrix.format import content
from bot.channels.telegram.render import parts
from bot.core.messages import Choice, OutMessage
from bot.i18n import Texts

TICKET = "AC-2026-00042"
TEXTS = Texts()


def shown(line: str) -> str:
    """What a reader sees on one line, left to right, without the invisible marks."""
    return strip_controls(get_display(line))


def _message(text: str, choices: tuple[Choice, ...] = ()) -> OutMessage:
    return OutMessage(1, "k", "matrix", "!room", text, choices=choices)


def test_a_command_with_a_ticket_number_reads_left_to_right_inside_arabic() -> None:
    usage = TEXTS("ar", "usage-status")
    assert f"/status {TICKET}" in shown(usage)
    # right-to-left without the isolates, the slash lands on the wrong side: the test can fail
    assert "status/" in shown(RLM + strip_controls(usage))
    assert get_base_level(strip_controls(usage)) == 0  # and without any mark: laid out LTR


def test_every_line_of_an_arabic_message_runs_right_to_left() -> None:
    status = TEXTS(
        "ar",
        "status-own",
        ticket=TICKET,
        category=TEXTS("ar", "state-fixed"),
        status=TEXTS("ar", "status-in_progress"),
        last_note="",
        place="Adalbertsteinweg 12",
        text="الأرجوحة مكسورة\nفي الحديقة عند Adalbertsteinweg 12",
    )
    lines = [line for line in status.split("\n") if line.strip()]
    assert len(lines) == 5
    assert all(line.startswith(RLM) for line in lines)
    assert [get_base_level(line) for line in lines] == [1] * 5
    # a line that starts with the ticket number is still an Arabic line, ticket on the right
    assert get_base_level(strip_controls(lines[0])) == 0  # without the marks it would not be
    assert shown(lines[0]).endswith(TICKET)


def test_ticket_street_and_numbers_keep_their_order_in_an_arabic_message() -> None:
    submitted = TEXTS(
        "ar",
        "intake-submitted",
        ticket=TICKET,
        category="رمي النفايات بشكل غير قانوني",
        department="Aachener Stadtbetrieb – Abfallwirtschaft",
    )
    assert f"{FSI}{TICKET}{PDI}" in submitted
    seen = [shown(line) for line in submitted.split("\n")]
    assert seen[0].startswith(f"{TICKET} ")  # the end of the Arabic sentence, at the left
    assert any("Aachener Stadtbetrieb – Abfallwirtschaft" in line for line in seen)
    assert f"/status {TICKET}" in seen[-1]
    hint = TEXTS("ar", "intake-place-hint", place="Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde)")
    assert "Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde)" in shown(hint.strip("\n"))


def test_an_arabic_report_quoted_to_staff_is_isolated_and_german_texts_stay_as_they_were() -> None:
    arabic = "الأرجوحة مكسورة منذ 3 أيام"
    forward = TEXTS("de", "staff-reply-to-resident", ticket=TICKET, text=arabic)
    assert f"„{FSI}{arabic}{PDI}“" in forward
    german = TEXTS("de", "staff-reply-to-resident", ticket=TICKET, text="Kommt Freitag weg")
    assert german == f"Nachricht der zuständigen Stelle zu {TICKET}:\n„Kommt Freitag weg“"


def test_word_lists_for_answers_carry_no_marks() -> None:
    for words in ("words-yes", "words-no", "words-skip"):
        assert strip_controls(TEXTS("ar", words)) == TEXTS("ar", words)


def test_telegram_sends_the_marked_text_unchanged() -> None:
    text = TEXTS("ar", "status-changed", ticket=TICKET, status="قيد المعالجة", note="")
    sent = parts(_message(text, (Choice("yes", TEXTS("ar", "choice-yes")),)))
    assert sent[0].text == text
    assert sent[0].text.startswith(RLM) and f"{FSI}{TICKET}{PDI}" in sent[0].text
    button = sent[0].keyboard.inline_keyboard[0][0]  # type: ignore[union-attr]
    assert strip_controls(button.text) == "نعم، صحيح"


def test_matrix_html_keeps_the_marks_around_the_bold_ticket_number() -> None:
    text = TEXTS("ar", "usage-follow")
    body = content(_message(text, (Choice("1", "العربية"), Choice("2", "Deutsch"))))
    html = body["formatted_body"]
    assert f"{LRI}/follow <b>{TICKET}</b>{PDI}" in html
    assert html.startswith(RLM)
    first_line = body["body"].split("\n")[0]
    assert f"/follow {TICKET}" in shown(first_line) and get_base_level(first_line) == 1


def test_a_long_arabic_text_cut_for_telegram_starts_each_piece_right_to_left() -> None:
    line = TEXTS("ar", "intake-describe")
    text = TEXTS("ar", "status-note", note=" ".join([strip_controls(line)] * 60)).strip("\n")
    pieces = parts(_message(text))
    assert len(pieces) > 1
    assert all(p.text.startswith(RLM) and get_base_level(p.text) == 1 for p in pieces)


def test_has_rtl_finds_exactly_the_right_to_left_letters_of_the_unicode_database() -> None:
    # has_rtl searches the blocks that hold them (bidi._RTL_BLOCKS); every code point outside
    # must not be one, every one inside must be found.
    wrong = [hex(c) for c in range(sys.maxunicode + 1) if has_rtl(chr(c)) != is_rtl_char(chr(c))]
    assert wrong == []
    assert has_rtl("Sperrmüll am Kaiserplatz – seit Tagen ✓") is False
    assert has_rtl("Sperrmüll in der شارع Pontstraße") is True
