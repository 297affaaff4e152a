"""E-mail both ways against real peers on loopback: the forward goes out through aiosmtpd, the
department's reply arrives in a real Dovecot IMAP mailbox, and the bot turns it into the staff
command it stands for — the resident hears the news."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from bot.bootstrap import build_app
from bot.config import EmailDestination, EmailSettings
from bot.destinations.email import EmailSender
from bot.destinations.email_replies import ReplyReader
from bot.destinations.installation import installation_id
from tests.conftest import Harness
from tests.fakes import FakeClock, KeywordClassifier

pytestmark = pytest.mark.e2e

DEPARTMENT = "strassen@stadt.example"


@pytest.fixture
def world(settings, database_url, clock: FakeClock, smtp_server, dovecot, monkeypatch):  # type: ignore[no-untyped-def]
    port, cert, received, _logins = smtp_server
    monkeypatch.setenv("LOTSE_SMTP_PASSWORD", "geheim")
    monkeypatch.setenv("LOTSE_IMAP_PASSWORD", dovecot.password)
    departments = [
        d.model_copy(
            update={
                "destinations": [
                    *d.destinations,
                    EmailDestination(
                        type="email", to=DEPARTMENT, reply_from=["leitung@stadt.example"]
                    ),
                ]
            }
        )
        if d.id == "strassen"
        else d.model_copy(
            update={
                "destinations": [
                    *d.destinations,
                    EmailDestination(type="email", to="abfall@stadt.example"),
                ]
            }
        )
        if d.id == "abfall"
        else d
        for d in settings.departments
    ]
    replies = settings.email_replies.model_copy(
        update={
            "enabled": True,
            "host": dovecot.host,
            "port": dovecot.port,
            "security": "none",
            "username": dovecot.user,
        }
    )
    app = build_app(
        settings.model_copy(update={"departments": departments, "email_replies": replies}),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    installation = installation_id(app.uow_factory, clock)
    sender = EmailSender(
        EmailSettings(host="127.0.0.1", port=port, username="lotse", sender="lotse@aachen.example"),
        "Aachen",
        context=ssl.create_default_context(cafile=str(cert)),
        installation=installation,
        texts=app.services.texts,
        replies_read=True,
    )
    harness = Harness(app)
    harness.dispatcher = app.attach_senders([harness.console, harness.telegram, sender])
    reader = ReplyReader(app, installation)
    try:
        yield harness, reader, received, dovecot
    finally:
        app.close()


def reply_to(forward, body: str, sender: str = DEPARTMENT, threaded: bool = True) -> bytes:  # type: ignore[no-untyped-def]
    """A department's answer as a mail program writes it: Re: subject, the quote below."""
    mail = EmailMessage()
    mail["From"] = f"Straßenunterhaltung <{sender}>"
    mail["To"] = forward["From"]
    mail["Subject"] = "AW: " + forward["Subject"]
    mail["Message-ID"] = make_msgid(domain="stadt.example")
    if threaded:
        mail["In-Reply-To"] = forward["Message-ID"]
        mail["References"] = forward["Message-ID"]
    quoted = "\n".join(
        "> " + line for line in forward.get_body(("plain",)).get_content().splitlines()
    )
    mail.set_content(f"{body}\n\nAm 24.11.2026 schrieb Quartierslotse:\n{quoted}\n")
    return bytes(mail)


def forward_of(received, ticket: str):  # type: ignore[no-untyped-def]
    return next(m for m in received if ticket in m["Subject"] and "Neues Anliegen" in m["Subject"])


def test_a_reply_erledigt_becomes_the_residents_news(world) -> None:  # type: ignore[no-untyped-def]
    harness, reader, received, dovecot = world
    ticket = harness.report("ben", "Schlagloch in der Jülicher Straße 5")
    forward = forward_of(received, ticket)
    body = forward.get_body(("plain",)).get_content()
    assert "erledigt:" in body and "Antwort:" in body  # the footer says how to answer
    assert "/zeige" not in body and "/status" not in body  # no chat commands in a mail
    dovecot.deliver(reply_to(forward, "erledigt: Loch verfüllt"))
    assert reader.poll_once() == 1
    harness.deliver()
    news = harness.console.to("resident:ben")[-1].text
    assert news.startswith(f"Neuer Stand zu {ticket}: erledigt")
    assert "Loch verfüllt" in news
    confirmation = [
        m for m in received if m["Subject"] == f"[{ticket}] Quartierslotse: Ihre Antwort"
    ]
    assert len(confirmation) == 1 and confirmation[0]["To"] == DEPARTMENT
    assert "erledigt" in confirmation[0].get_body(("plain",)).get_content()  # recorded, and said
    assert reader.poll_once() == 0 and dovecot.unseen() == 0  # read once, flagged seen
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket.rsplit("-", 1)[1]))
        assert concern is not None and concern.state == "fixed"
        assert concern.updates[-1].author == "staff:email.strassen"


def test_the_other_first_lines_become_their_commands(world) -> None:  # type: ignore[no-untyped-def]
    harness, reader, received, dovecot = world
    first = harness.report("cem", "Schlagloch in der Jülicher Straße 7")
    second = harness.report("dana", "Schlagloch in der Jülicher Straße 9")
    third = harness.report("eli", "Schlagloch in der Jülicher Straße 11")
    dovecot.deliver(reply_to(forward_of(received, first), "In Arbeit: Kolonne ist bestellt"))
    dovecot.deliver(
        reply_to(
            forward_of(received, second),
            "Nicht zuständig: Landesstraße, bitte an Straßen.NRW",
            sender="leitung@stadt.example",
        )
    )
    dovecot.deliver(reply_to(forward_of(received, third), "Antwort: Wir kommen am Montag."))
    assert reader.poll_once() == 3
    harness.deliver()
    assert "in Bearbeitung" in harness.console.to("resident:cem")[-1].text
    dana = harness.console.to("resident:dana")[-1].text
    assert "nicht zuständig" in dana and "Straßen.NRW" in dana
    assert "Wir kommen am Montag." in harness.console.to("resident:eli")[-1].text


def test_a_reply_found_by_the_subject_alone_works_too(world) -> None:  # type: ignore[no-untyped-def]
    harness, reader, received, dovecot = world
    ticket = harness.report("fee", "Schlagloch in der Jülicher Straße 13")
    dovecot.deliver(reply_to(forward_of(received, ticket), "erledigt: geflickt", threaded=False))
    reader.poll_once()
    harness.deliver()
    assert "geflickt" in harness.console.to("resident:fee")[-1].text


def test_anything_else_goes_to_the_admins_and_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    harness, reader, received, dovecot = world
    ticket = harness.report("gil", "Schlagloch in der Jülicher Straße 15")
    forward = forward_of(received, ticket)
    dovecot.deliver(reply_to(forward, "Danke, wir schauen es uns an."))
    dovecot.deliver(reply_to(forward, "erledigt: gefälscht", sender="jemand@example.org"))
    dovecot.deliver(reply_to(forward, "erledigt: falsche Stelle", sender="abfall@stadt.example"))
    stray = EmailMessage()
    stray["From"] = "newsletter@example.org"
    stray["Subject"] = "Angebot"
    stray["Message-ID"] = make_msgid()
    stray.set_content("Kaufen Sie jetzt!")
    dovecot.deliver(bytes(stray))
    auto = EmailMessage()
    auto["From"] = DEPARTMENT
    auto["Subject"] = "Abwesenheit: " + forward["Subject"]
    auto["Auto-Submitted"] = "auto-replied"
    auto["In-Reply-To"] = forward["Message-ID"]
    auto.set_content("Ich bin bis Montag nicht im Büro.")
    dovecot.deliver(bytes(auto))
    before = len(harness.console.to("resident:gil"))
    assert reader.poll_once() == 5
    harness.deliver()
    assert len(harness.console.to("resident:gil")) == before  # nothing reached the resident
    triage = [m.text for m in harness.room("triage")]
    assert len([t for t in triage if "nicht als Antwort verarbeitet" in t]) == 4
    assert any("jemand@example.org" in t and "nicht eingetragen" in t for t in triage)
    assert any("abfall@stadt.example" in t and "nicht eingetragen" in t for t in triage)
    assert any("erste Zeile" in t and "Danke, wir schauen" in t for t in triage)
    assert any("kein Anliegen" in t and "newsletter@example.org" in t for t in triage)
    assert not any("nicht im Büro" in t for t in triage)  # automatic replies are only logged
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket.rsplit("-", 1)[1]))
        assert concern is not None and concern.state == "forwarded"


def test_the_same_reply_delivered_twice_is_handled_once(world) -> None:  # type: ignore[no-untyped-def]
    harness, reader, received, dovecot = world
    ticket = harness.report("hal", "Schlagloch in der Jülicher Straße 17")
    raw = reply_to(forward_of(received, ticket), "Antwort: Schauen wir uns an.")
    dovecot.deliver(raw)
    dovecot.deliver(raw)
    assert reader.poll_once() == 2
    harness.deliver()
    said = [m for m in harness.console.to("resident:hal") if "Schauen wir uns an." in m.text]
    assert len(said) == 1
