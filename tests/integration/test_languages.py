"""Residents in their own language: which language, /language, staff in German, copies for
quarter managers who speak it."""

from __future__ import annotations

import re

from bot.bidi import strip_controls
from bot.bootstrap import build_app
from bot.config import Settings
from tests.conftest import Harness
from tests.fakes import FakeClock, KeywordClassifier

TICKET = re.compile(r"AC-\d{4}-\d{5}")


def marked_language(text: str, fallback: str | None) -> str:
    """A detector for tests: the language is what the text says it is ("[tr] ...")."""
    marked = re.match(r"\[(\w\w)\]", text)
    return marked.group(1) if marked else (fallback or "de")


def _resident(harness: Harness, who: str):  # type: ignore[no-untyped-def]
    with harness.app.uow_factory() as uow:
        resident = uow.residents.find("console", who)
        assert resident is not None
        uow.session.expunge(resident)
        return resident


def _report_tr(harness: Harness, who: str) -> str:
    proposal = harness.say(who, "Adalbertsteinweg 12 önünde Sperrmüll var", language="tr")
    assert "Yasa dışı çöp dökümü" in proposal[-1].text  # the category in Turkish
    assert [c.label for c in proposal[-1].choices] == ["Evet, doğru", "Başka kategori"]
    done = harness.say(who, "evet")  # the resident's own word for yes
    match = TICKET.search(done[-1].text)
    assert match and "Bildiriminizin numarası" in done[-1].text, done[-1].text
    return match.group(0)


def test_a_turkish_phone_gets_turkish_and_is_told_once_how_to_change_it(
    harness: Harness,
) -> None:
    first = harness.say("ayse", "/start", language="tr")
    assert first[0].text.startswith("Merhaba!")
    assert "Size Türkçe yazıyorum" in first[0].text and "/dil" in first[0].text
    again = harness.say("ayse", "/yardim", language="tr")
    assert "/dil" in again[0].text and "Size Türkçe yazıyorum" not in again[0].text
    assert _resident(harness, "ayse").language_told == "tr"


def test_a_german_phone_gets_german_without_a_language_note(harness: Harness) -> None:
    first = harness.say("hans", "/start", language="de")
    assert first[0].text.startswith("Guten Tag!") and "Eine andere Sprache" not in first[0].text


def test_the_first_long_message_decides_the_language_and_a_later_one_does_not(
    harness: Harness,
) -> None:
    harness.app.services.detect_language = marked_language
    short = harness.say("emre", "[tr] merhaba", language="de")
    assert "Was ist Ihnen im Viertel aufgefallen" in short[-1].text  # a greeting, in German
    assert _resident(harness, "emre").language == "de"  # too short to tell
    harness.say("emre", "/abbrechen")
    turkish = harness.say("emre", "[tr] Adalbertsteinweg 12 önünde çok Sperrmüll var")
    assert "Şöyle anladım" in turkish[-1].text and "Size Türkçe yazıyorum" in turkish[-1].text
    stored = _resident(harness, "emre")
    assert stored.language == "tr" and stored.language_detected
    harness.say("emre", "/iptal")
    later = harness.say("emre", "[de] Hier liegt sehr viel Sperrmüll am Adalbertsteinweg 12")
    assert "Şöyle anladım" in later[-1].text  # still Turkish: decided by the first messages
    # the chat app's language no longer decides either
    harness.say("emre", "/iptal", language="de")
    assert _resident(harness, "emre").language == "tr"


def test_a_detected_language_must_fit_the_script_it_was_detected_from(harness: Harness) -> None:
    harness.app.services.detect_language = marked_language
    arabic = harness.say("omar", "[de] يوجد Sperrmüll كثير أمام البيت في الشارع", language="ar")
    assert "فهمت" in arabic[-1].text  # stays Arabic: "de" does not fit Arabic letters
    assert _resident(harness, "omar").language == "ar"


def test_language_by_code_by_menu_number_by_button_and_in_other_scripts(
    harness: Harness,
) -> None:
    assert "Türkçe yazacağım" in harness.say("lea", "/language tr")[0].text
    menu = harness.say("lea", "/dil")[0]
    assert [strip_controls(c.label) for c in menu.choices] == [
        "Deutsch",
        "English",
        "Türkçe",
        "العربية",
        "Русский",
        "Українська",
        "Polski",
    ]
    arabic = harness.say("lea", "4")[0].text
    assert "باللغة العربية" in arabic
    assert "українською" in harness.say("lea", "/язык uk")[0].text
    harness.say("lea", "/мова")
    assert "po polsku" in harness.say("lea", choice="lang:pl")[0].text
    harness.say("lea", "/język")
    assert "Deutsch" in harness.say("lea", "Deutsch")[0].text
    refused = harness.say("lea", "/sprache xx")[0].text
    assert "/sprache de, en, tr, ar, ru, uk oder pl" in refused
    stored = _resident(harness, "lea")
    assert stored.language == "de" and stored.language_chosen


def test_a_menu_left_unanswered_lets_the_next_message_through(harness: Harness) -> None:
    harness.say("tom", "/sprache")
    answer = harness.say("tom", "Sperrmüll am Adalbertsteinweg 12")
    assert "Stimmt das?" in answer[-1].text


def test_staff_get_a_turkish_concern_in_german_with_its_language_and_original_text(
    harness: Harness,
) -> None:
    ticket = _report_tr(harness, "deniz")
    forward = next(m for m in harness.room("abfall") if ticket in m.text).text
    assert "Sprache: Türkisch" in forward
    assert "Adalbertsteinweg 12 önünde Sperrmüll var" in forward
    assert "Kategorie: Wilder Müll" in forward and "Quartier: Aachen-Ost/Rothe Erde" in forward
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[0].text
    assert "Sprache: Türkisch" in shown and "önünde" in shown


def test_a_staff_note_and_a_reply_reach_a_turkish_resident_with_a_line_on_their_language(
    harness: Harness,
) -> None:
    ticket = _report_tr(harness, "can")
    german_ticket = harness.report("greta", "Sperrmüll am Adalbertsteinweg 14")
    harness.say("mueller", f"/status {ticket} in_arbeit Wird am Freitag abgeholt", staff=True)
    news = harness.console.to("resident:can")[-1].text
    assert f"{ticket} için yeni durum: işlemde" in news and "Wird am Freitag abgeholt" in news
    assert "Belediye çalışanları Almanca yazıyor" in news
    harness.say("mueller", f"/antwort {ticket} Danke für den Hinweis!", staff=True)
    reply = harness.console.to("resident:can")[-1].text
    assert "sorumlu birimden mesaj" in reply and "Danke für den Hinweis!" in reply
    assert "Almanca" in reply
    harness.say("mueller", f"/status {german_ticket} in_arbeit Kommt weg", staff=True)
    german = harness.console.to("resident:greta")[-1].text
    assert "Kommt weg" in german and "Mitarbeitenden der Stadt" not in german


def test_a_quarter_manager_who_speaks_the_language_gets_a_copy(
    settings: Settings, database_url: str
) -> None:
    raw = settings.model_dump()
    for member in raw["staff"]:
        if member["id"] == "qm-nord":
            member["languages"] = ["tr", "ar"]
    custom = Settings.model_validate(raw)
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=FakeClock(),
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        ticket = _report_tr(harness, "selin")  # a concern in Aachen-Ost
        copy = [m for m in harness.room("qm-nord") if ticket in m.text]
        assert len(copy) == 1
        assert copy[0].text.startswith("Kopie für Sie") and "Sprache: Türkisch" in copy[0].text
        german = harness.report("paul", "Sperrmüll am Adalbertsteinweg 16")
        assert not [m for m in harness.room("qm-nord") if german in m.text]
        with app.uow_factory() as uow:
            concern = uow.concerns.get(int(ticket.rsplit("-", 1)[1]))
            assert concern is not None and concern.state == "forwarded"
    finally:
        app.close()


def test_an_arabic_resident_hears_category_and_ticket_in_arabic_reading_order(
    harness: Harness,
) -> None:
    proposal = harness.say("rana", "يوجد Sperrmüll أمام Adalbertsteinweg 12", language="ar")
    text = proposal[-1].text
    assert "رمي النفايات بشكل غير قانوني" in text
    assert "\u2068Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde)\u2069" in text  # isolated
    done = harness.say("rana", "نعم")[-1].text
    ticket = TICKET.search(done)
    assert ticket and f"\u2068{ticket.group(0)}\u2069" in done
    assert all(line.startswith("\u200f") for line in done.split("\n") if line.strip())
