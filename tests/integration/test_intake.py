"""The resident's intake dialogue against a real database, with a keyword classifier."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import category_names
from bot.core import choices
from bot.core.choices import Candidate
from bot.i18n import LANGUAGES, Texts
from nlp.taxonomy import category_ids
from storage.models import Concern, Photo
from tests.conftest import Harness

TICKET = re.compile(r"AC-2026-\d{5}")


def _ticket(messages) -> str:  # type: ignore[no-untyped-def]
    match = TICKET.search(messages[-1].text)
    assert match, [m.text for m in messages]
    return match.group(0)


def test_a_reported_concern_is_proposed_confirmed_and_gets_a_ticket(harness: Harness) -> None:
    proposal = harness.say("anna", "Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12")
    assert "Wilder Müll" in proposal[0].text
    assert "Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde)" in proposal[0].text
    assert [c.id for c in proposal[0].choices] == ["yes", "other"]

    done = harness.say("anna", choice="yes")
    ticket = _ticket(done)
    assert "Abfallwirtschaft" in done[-1].text
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None
        assert concern.category == "illegal_dumping"
        assert concern.quarter_id == "ost-rothe-erde"
        assert concern.address == "Adalbertsteinweg 12"
        assert concern.state == "forwarded"  # delivered to the department's room


def test_the_concern_reaches_the_department_and_the_quarter_manager_once(harness: Harness) -> None:
    harness.say("anna", "Sperrmüll am Adalbertsteinweg 12")
    ticket = _ticket(harness.say("anna", "ja"))
    harness.deliver()
    assert len(harness.room("abfall")) == 1
    assert len(harness.room("qm-ost")) == 1
    forwarded = harness.room("abfall")[0].text
    assert ticket in forwarded and "Sperrmüll am Adalbertsteinweg 12" in forwarded
    assert "anna" not in forwarded  # staff see a pseudonym only
    assert re.search(r"R-[A-Z0-9]{6}", forwarded)


def test_a_numbered_answer_confirms_as_on_matrix(harness: Harness) -> None:
    harness.say("ben", "Laterne kaputt Jülicher Straße 5")
    assert TICKET.search(harness.say("ben", "1")[-1].text)


def test_an_unsure_classification_offers_three_categories_and_something_else(
    harness: Harness,
) -> None:
    asked = harness.say("carla", "Da ist so ein komisches Ding am Adalbertsteinweg")
    assert [c.id for c in asked[0].choices] == ["other", "idea", "neighbourhood", "more"]
    everything = harness.say("carla", "4")
    assert len(everything[0].choices) == len(category_ids())
    picked = harness.say("carla", choice="graffiti_vandalism")
    assert TICKET.search(picked[-1].text)
    with harness.app.uow_factory() as uow:
        assert uow.session.scalar(select(Concern.category)) == "graffiti_vandalism"


def test_choosing_another_category_lists_all_of_them(harness: Harness) -> None:
    harness.say("dora", "Schlagloch vor der Schule")
    listed = harness.say("dora", "nein")
    assert len(listed[0].choices) == len(category_ids())
    place_question = harness.say("dora", choice="traffic")
    assert [c.id for c in place_question[0].choices] == ["skip"]


def test_without_a_street_the_bot_asks_for_the_place(harness: Harness) -> None:
    harness.say("emil", "Schaukel auf dem Spielplatz ist kaputt")
    asked = harness.say("emil", "ja")
    assert "Wo genau" in asked[0].text
    done = harness.say("emil", "Jülicher Str. 80")
    assert TICKET.search(done[-1].text)
    with harness.app.uow_factory() as uow:
        concern = uow.session.scalar(select(Concern))
        assert concern is not None and concern.quarter_id == "aachen-nord"


def test_a_shared_location_finds_the_quarter(harness: Harness) -> None:
    harness.say("fritz", "Laterne aus")
    harness.say("fritz", "ja")
    harness.say("fritz", location=(50.7625, 6.0955))
    with harness.app.uow_factory() as uow:
        concern = uow.session.scalar(select(Concern))
        assert concern is not None and concern.quarter_id == "burtscheid"
        assert concern.lat == 50.7625


def test_the_place_can_be_skipped_and_the_concern_goes_to_the_department_only(
    harness: Harness,
) -> None:
    harness.say("gina", "Laterne aus")
    harness.say("gina", "ja")
    assert TICKET.search(harness.say("gina", "überspringen")[-1].text)
    assert len(harness.room("regionetz-licht")) == 1


def test_a_photo_sent_first_is_kept_and_forwarded_with_the_concern(harness: Harness) -> None:
    asked = harness.say("hans", photo=b"\xff\xd8\xff fake jpeg")
    assert "Beschreiben" in asked[0].text
    harness.say("hans", "Sperrmüll am Adalbertsteinweg 3")
    harness.say("hans", "ja")
    forwarded = harness.room("abfall")[0]
    assert forwarded.photo == b"\xff\xd8\xff fake jpeg"
    with harness.app.uow_factory() as uow:
        photo = uow.session.scalar(select(Photo))
        assert photo is not None and photo.concern_id is not None


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_a_photo_right_after_the_ticket_is_added_to_that_concern(harness: Harness) -> None:
    harness.say("ida", "Sperrmüll am Adalbertsteinweg 3")
    ticket = _ticket(harness.say("ida", "ja"))
    added = harness.say("ida", photo=JPEG)
    assert ticket in added[0].text
    assert harness.room("abfall")[-1].photo == JPEG


def test_an_intake_survives_a_restart_of_the_bot(harness: Harness, make_app) -> None:  # type: ignore[no-untyped-def]
    harness.say("jana", "Sperrmüll am Adalbertsteinweg 12")
    harness.app.close()
    restarted = Harness(make_app())
    done = restarted.say("jana", "ja")
    assert TICKET.search(done[-1].text)


def test_the_same_network_message_twice_is_handled_once(harness: Harness) -> None:
    first = harness.say("karl", "Sperrmüll am Adalbertsteinweg 12", message_id="tg-1")
    again = harness.say("karl", "Sperrmüll am Adalbertsteinweg 12", message_id="tg-1")
    assert len(first) == 1 and again == []


def test_cancel_drops_the_intake(harness: Harness) -> None:
    harness.say("lena", "Sperrmüll am Adalbertsteinweg 12")
    assert "verworfen" in harness.say("lena", "/abbrechen")[0].text
    assert "keine Meldung" in harness.say("lena", "/cancel")[0].text
    with harness.app.uow_factory() as uow:
        assert uow.session.scalar(select(Concern)) is None


def test_mine_and_status_show_the_residents_own_concerns(harness: Harness) -> None:
    harness.say("mia", "Sperrmüll am Adalbertsteinweg 12")
    ticket = _ticket(harness.say("mia", "ja"))
    assert ticket in harness.say("mia", "/meine")[0].text
    status = harness.say("mia", f"/status {ticket.lower()}")[0].text
    assert "Sperrmüll am Adalbertsteinweg 12" in status and "übergeben" in status


def test_another_resident_sees_only_the_public_status_and_can_follow(harness: Harness) -> None:
    harness.say("nora", "Sperrmüll am Adalbertsteinweg 12")
    ticket = _ticket(harness.say("nora", "ja"))
    public = harness.say("otto", f"/status {ticket}")[0].text
    assert "Sperrmüll am Adalbertsteinweg 12" not in public
    assert "/folgen" in public
    assert "verfolgen jetzt" in harness.say("otto", f"/folgen {ticket}")[0].text
    assert "bereits" in harness.say("otto", f"/follow {ticket}")[0].text
    assert ticket in harness.say("otto", "/mine")[0].text


def test_bad_tickets_and_unknown_commands_get_a_polite_answer(harness: Harness) -> None:
    assert "keine gültige Nummer" in harness.say("paul", "/status hallo")[0].text
    assert "finde kein Anliegen" in harness.say("paul", "/status AC-2026-09999")[0].text
    assert "kenne ich nicht" in harness.say("paul", "/frobnicate")[0].text
    assert "So geht es" in harness.say("paul", "/status")[0].text


def test_english_clients_get_english_and_language_can_be_switched(harness: Harness) -> None:
    assert "Hello" in harness.say("quinn", "/start", language="en-GB")[0].text
    assert "Deutsch" in harness.say("quinn", "/language de")[0].text
    assert "Guten Tag" in harness.say("quinn", "/start", language="en-GB")[0].text


def test_help_and_privacy_answer(harness: Harness) -> None:
    assert "/status" in harness.say("rosa", "/hilfe")[0].text
    assert "Pseudonym R-" in harness.say("rosa", "/datenschutz")[0].text


def test_a_message_that_is_too_long_is_refused_politely(harness: Harness) -> None:
    assert "zu lang" in harness.say("sven", "Müll " * 1000)[0].text


def test_an_unexpected_failure_gets_an_apology_not_a_stack_trace(harness: Harness) -> None:
    class Broken:
        def classify(self, text: str) -> None:
            raise RuntimeError("model exploded")

    harness.app.services.classifier = Broken()  # type: ignore[assignment]
    answer = harness.say("tom", "Sperrmüll am Adalbertsteinweg 12")
    assert len(answer) == 1 and "schiefgegangen" in answer[0].text
    assert "Traceback" not in answer[0].text and "exploded" not in answer[0].text


def test_a_file_that_is_not_an_image_is_refused_politely_and_not_kept(harness: Harness) -> None:
    answer = harness.say("kim", photo=b"MZ\x90\x00 an executable pretending to be a photo")
    assert any("kein Foto" in m.text for m in answer)
    too_big = harness.say("kim", photo=b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))
    assert any("zu groß" in m.text for m in too_big)
    with harness.app.uow_factory() as uow:
        from sqlalchemy import func, select

        from storage.models import Photo

        assert uow.session.scalar(select(func.count(Photo.id))) == 0


def test_a_superscript_digit_as_an_answer_is_just_not_understood(harness: Harness) -> None:
    harness.say("lou", "Wann hat das Bürgerbüro auf?")  # unsure: the choice step
    answer = harness.say("lou", "²")
    assert answer and all("schiefgegangen" not in m.text for m in answer)


# --- every numbered choice takes its own words (#18.1), generically over all menus -------------


def _menus(lang: str) -> list[tuple[str, list[Candidate]]]:
    texts = Texts()
    found = [
        (name, choices.candidates(texts, LANGUAGES, lang, options, ticket="AC-2026-00042"))
        for name, options in choices.MENUS.items()
    ]
    categories = [
        Candidate(c.id, (c.name(lang), c.name("en" if lang == "de" else "de")))
        for c in category_names().values()
    ]
    return [*found, ("categories", categories)]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_menu_takes_its_number_its_label_and_its_own_words(lang: str) -> None:
    for name, cands in _menus(lang):
        for number, cand in enumerate(cands, 1):
            where = f"{name}/{cand.id}"
            assert choices.match(str(number), cands) == cand.id, where
            for label in cand.labels:  # the label in either language, as typed
                assert choices.match(label, cands) == cand.id, f"{where}: {label!r}"
                assert choices.match(label.upper() + "!", cands) == cand.id, f"{where}: {label!r}"
                for word in set(choices.normalise(label).split()) - {"ja", "yes", "nein", "no"}:
                    # A word of its own label that no other option's label has picks it.
                    others = [
                        c
                        for c in cands
                        if c is not cand and word in choices.normalise(" ".join(c.labels)).split()
                    ]
                    if not others and word not in choices._FILLER and not word.isdecimal():
                        assert choices.match(word, cands) == cand.id, f"{where}: {word!r}"
            for word in cand.words:
                owners = [
                    c.id
                    for c in cands
                    if choices.normalise(word) in map(choices.normalise, c.words)
                ]
                if owners == [cand.id]:
                    assert choices.match(word, cands) == cand.id, f"{where}: {word!r}"


def test_the_me_too_offer_takes_the_words_the_issue_tried() -> None:
    cands = dict(_menus("de"))["duplicate"]
    for said in ("Ich auch – folgen", "ich auch", "folgen", "Ich auch - folgen", "1", "ja"):
        assert choices.match(said, cands) == "follow", said
    for said in ("Nein, etwas anderes", "etwas anderes", "2", "nein"):
        assert choices.match(said, cands) == "new", said
    assert choices.match("vielleicht", cands) is None


# --- follow-ups and several concerns (#16.3, #16.4, #13.4) -------------------------------------


def test_a_detail_after_the_ticket_is_stored_and_told_to_the_department(
    harness: Harness, clock
) -> None:  # type: ignore[no-untyped-def]
    ticket = harness.report("lea", "Sperrmüll am Adalbertsteinweg 12")
    clock.advance(minutes=2)
    said = harness.say("lea", "Ach ja, und es sind auch noch drei Matratzen dabei")
    assert said[-1].text.startswith("Danke, das ist bei " + ticket)
    assert "drei Matratzen" in harness.room("abfall")[-1].text
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None
        assert [u.text for u in concern.updates if u.kind == "detail"] == [
            "Ach ja, und es sind auch noch drei Matratzen dabei"
        ]
        assert uow.concerns.count_since(concern.resident_id, clock() - timedelta(hours=1)) == 1


def test_a_location_after_the_ticket_gives_it_a_place_and_once_only(
    harness: Harness, clock
) -> None:  # type: ignore[no-untyped-def]
    harness.say("max", "Die Schaukel ist kaputt")
    harness.say("max", "ja")
    ticket = _ticket(harness.say("max", "überspringen"))
    added = harness.say("max", location=(50.7705, 6.1120))
    assert added[-1].text == f"Danke, der Ort ist bei {ticket} ergänzt."
    again = harness.say("max", location=(50.7705, 6.1120))
    assert again[-1].text.startswith(f"Schon notiert unter {ticket}")
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None and concern.lat == 50.7705
        assert concern.quarter_id == "ost-rothe-erde"


def test_several_concerns_become_separate_tickets_sharing_place_and_photo(
    harness: Harness,
) -> None:
    harness.say("nele", photo=JPEG)
    offer = harness.say("nele", "Sperrmüll am Adalbertsteinweg 12. Außerdem ist die Laterne kaputt")
    assert offer[-1].text.startswith("Ich habe 2 Anliegen erkannt")
    answers = harness.say("nele", "getrennt")
    tickets = [TICKET.search(a.text).group(0) for a in answers]  # type: ignore[union-attr]
    assert len(set(tickets)) == 2
    with harness.app.uow_factory() as uow:
        filed = [uow.concerns.get(int(t[-5:])) for t in tickets]
        assert {c.category for c in filed if c} == {"illegal_dumping", "street_lighting"}
        assert all(c and c.address == "Adalbertsteinweg 12" for c in filed)
        assert all(c and len(uow.concerns.photos_of(c.id)) == 1 for c in filed)
