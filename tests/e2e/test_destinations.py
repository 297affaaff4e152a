"""Destinations against real peers on loopback: an SMTP server (aiosmtpd, STARTTLS + AUTH) and
an Open311 GeoReport v2 endpoint (a small HTTP server written here that records requests)."""

from __future__ import annotations

import json
import ssl
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from bot.bootstrap import build_app
from bot.config import EmailDestination, EmailSettings, Open311Destination
from bot.destinations.email import EmailSender
from bot.destinations.open311 import Open311Sender, poll_status_updates
from tests.conftest import Harness
from tests.e2e.serving import public_api
from tests.fakes import FakeClock, KeywordClassifier
from tests.peers.mail_fixtures import free_port as _free_port

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG_LATER = b"\x89PNG\r\n\x1a\n" + b"\x02" * 64


def _with_destination(settings, destination):  # type: ignore[no-untyped-def]
    departments = [
        d.model_copy(update={"destinations": [*d.destinations, destination]})
        if d.id == "abfall"
        else d
        for d in settings.departments
    ]
    return settings.model_copy(update={"departments": departments})


def test_a_concern_reaches_the_department_by_email(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, smtp_server, monkeypatch
) -> None:
    port, cert, received, logins = smtp_server
    monkeypatch.setenv("LOTSE_SMTP_PASSWORD", "geheim")
    custom = _with_destination(settings, EmailDestination(type="email", to="abfall@stadt.example"))
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        sender = EmailSender(
            EmailSettings(
                host="127.0.0.1",
                port=port,
                security="starttls",
                username="lotse",
                sender="lotse@aachen.example",
            ),
            "Aachen",
            context=ssl.create_default_context(cafile=str(cert)),
        )
        harness = Harness(app)
        harness.dispatcher = app.attach_senders([harness.console, harness.telegram, sender])
        ticket = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12 <b>sofort</b> & schnell")
    finally:
        app.close()
    mails = [m for m in received if ticket in m["Subject"]]
    assert len(mails) == 1
    assert len(logins) == len(received)  # every delivery authenticated, after STARTTLS
    mail = mails[0]
    assert mail["Subject"] == f"[{ticket}] Neues Anliegen: Wilder Müll / illegale Ablagerung"
    assert mail["To"] == "abfall@stadt.example" and mail["X-Lotse-Key"]
    body = mail.get_body(("plain",)).get_content()
    assert "Sperrmüll am Adalbertsteinweg 12 <b>sofort</b> & schnell" in body  # as text, verbatim
    assert mail.get_body(("html",)) is None  # no HTML part: resident text can't become markup
    assert "Kategorie" in body and "Adalbertsteinweg" in body


def test_a_photo_is_attached_to_the_email(
    settings, database_url, clock, smtp_server, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    port, cert, received, _logins = smtp_server
    monkeypatch.setenv("LOTSE_SMTP_PASSWORD", "geheim")
    custom = _with_destination(settings, EmailDestination(type="email", to="abfall@stadt.example"))
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        sender = EmailSender(
            EmailSettings(host="127.0.0.1", port=port, username="lotse"),
            "Aachen",
            context=ssl.create_default_context(cafile=str(cert)),
        )
        harness = Harness(app)
        harness.dispatcher = app.attach_senders([harness.console, harness.telegram, sender])
        harness.say("ben", photo=PNG)
        ticket = harness.report("ben", "Sperrmüll an der Jülicher Straße 5")
    finally:
        app.close()
    mail = next(m for m in received if ticket in m["Subject"])
    attachments = list(mail.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content() == PNG
    assert attachments[0].get_filename().startswith(ticket)


def test_smtp_down_waits_in_the_outbox_and_shows_in_failed(settings, database_url, clock) -> None:  # type: ignore[no-untyped-def]
    custom = _with_destination(settings, EmailDestination(type="email", to="abfall@stadt.example"))
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        sender = EmailSender(
            EmailSettings(host="127.0.0.1", port=_free_port(), security="none", timeout_seconds=2),
            "Aachen",
        )
        harness = Harness(app)
        harness.dispatcher = app.attach_senders([harness.console, harness.telegram, sender])
        ticket = harness.report("carla", "Sperrmüll am Adalbertsteinweg 40")
        failed = harness.say("admin", "/fehler", staff=True)[-1].text
        assert "abfall@stadt.example" in failed and "SMTP unreachable" in failed
        assert ticket
    finally:
        app.close()


class _Open311(BaseHTTPRequestHandler):
    """A GeoReport v2 endpoint as a city runs it: it fetches a request's media_url when it gets
    one (as Mark-a-Spot or FixMyStreet would) and keeps what it fetched."""

    posts: ClassVar[list[dict[str, list[str]]]] = []
    status: ClassVar[dict[str, str]] = {}
    notes: ClassVar[dict[str, str]] = {}
    media: ClassVar[dict[str, tuple[str, bytes]]] = {}
    notice = "Wird innerhalb von 3 Werktagen bearbeitet."
    fail_next = 0

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass

    def _json(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        if type(self).fail_next:
            type(self).fail_next -= 1
            self._json(503, [{"code": 503, "description": "maintenance"}])
            return
        if urlparse(self.path).path != "/v2/requests.json" or form.get("api_key") != ["k3y"]:
            self._json(400, [{"code": 400, "description": "bad request"}])
            return
        type(self).posts.append(form)
        rid = f"SR-{len(type(self).posts)}"
        type(self).status[rid] = "open"
        if form.get("media_url"):
            with urllib.request.urlopen(form["media_url"][0], timeout=10) as photo:
                type(self).media[rid] = (photo.headers["Content-Type"], photo.read())
        self._json(201, [{"service_request_id": rid, "service_notice": type(self).notice}])

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        ids = query.get("service_request_id", [""])[0].split(",")
        self._json(
            200,
            [
                {
                    "service_request_id": i,
                    "status": type(self).status.get(i, "open"),
                    "status_notes": type(self).notes.get(i),
                    "service_notice": type(self).notice,  # repeated on every poll: told once
                }
                for i in ids
                if i in type(self).status
            ],
        )


@pytest.fixture
def open311_endpoint():  # type: ignore[no-untyped-def]
    _Open311.posts, _Open311.status, _Open311.fail_next = [], {}, 0
    _Open311.notes, _Open311.media = {}, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Open311)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2"
    finally:
        server.shutdown()
        server.server_close()


def _open311_app(settings, database_url, clock, endpoint, **destination):  # type: ignore[no-untyped-def]
    target = Open311Destination(
        type="open311",
        endpoint=endpoint,
        api_key_env="AACHEN_OPEN311_KEY",
        jurisdiction_id="aachen.de",
        service_codes={"illegal_dumping": "SPERR-01"},
        **destination,
    )
    public = settings.public_api.model_copy(update={"enabled": True, "port": _free_port()})
    app = build_app(
        _with_destination(settings, target).model_copy(update={"public_api": public}),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    harness = Harness(app)
    harness.dispatcher = app.attach_senders([harness.console, harness.telegram, Open311Sender(app)])
    return app, harness


def test_open311_request_once_and_closed_told_as_closed_by_the_department(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, open311_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    app, harness = _open311_app(settings, database_url, clock, open311_endpoint)
    try:
        _Open311.fail_next = 1  # the endpoint is down once: the outbox retries
        harness.say("dora", "Sperrmüll am Adalbertsteinweg 12")
        harness.say("dora", "ja")
        assert _Open311.posts == []
        clock.advance(minutes=5)
        harness.deliver()
        harness.deliver()  # nothing more to send: no second request
        assert len(_Open311.posts) == 1
        form = _Open311.posts[0]
        assert form["service_code"] == ["SPERR-01"] and form["jurisdiction_id"] == ["aachen.de"]
        assert form["address_string"] == ["Adalbertsteinweg 12"]
        assert form["description"] == ["Sperrmüll am Adalbertsteinweg 12"]
        assert "media_url" not in form  # no photo, no media_url
        notices = [m for m in harness.console.to("resident:dora") if "3 Werktagen" in m.text]
        assert [m.text for m in notices] == [
            "Hinweis der zuständigen Stelle zu AC-2026-00001: "
            "Wird innerhalb von 3 Werktagen bearbeitet."
        ]
        _Open311.status["SR-1"] = "closed"
        _Open311.notes["SR-1"] = "Abgeholt am Montag."
        assert poll_status_updates(app) == 1
        harness.deliver()
        news, question = harness.console.to("resident:dora")[-2:]
        assert "von der zuständigen Stelle in ihrem Meldesystem geschlossen" in news.text
        assert "Abgeholt am Montag." in news.text
        assert "behoben" not in news.text.split("geschlossen")[0]  # never "es ist behoben"
        assert question.text == "Ist es bei AC-2026-00001 aus Ihrer Sicht behoben?"
        assert [c.label for c in question.choices] == ["Ja, erledigt", "Nein, noch nicht"]
        assert poll_status_updates(app) == 0
        harness.deliver()
        told = [m for m in harness.console.to("resident:dora") if "3 Werktagen" in m.text]
        assert len(told) == 1  # the service_notice, repeated by every poll, was told once
        reopened = harness.say("dora", "2")  # "no, not fixed": it goes back to the department
        assert "AC-2026-00001" in reopened[-1].text
        with app.uow_factory() as uow:
            states = [u.to_state for u in uow.concerns.get(1).updates]  # type: ignore[union-attr]
            # reopened stays reopened until staff act (the notice to the department is no forward)
            assert states[-2:] == ["fixed", "reopened"]
    finally:
        app.close()


def test_open311_closed_notes_mapped_to_an_honest_end_state(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, open311_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    app, harness = _open311_app(
        settings,
        database_url,
        clock,
        open311_endpoint,
        closed_notes={"nicht zuständig": "not_responsible", "erledigt": "fixed"},
    )
    try:
        first = harness.report("emma", "Sperrmüll am Adalbertsteinweg 14")
        second = harness.report("finn", "Sperrmüll am Adalbertsteinweg 16")
        assert len(_Open311.posts) == 2
        _Open311.status.update({"SR-1": "closed", "SR-2": "closed"})
        _Open311.notes["SR-1"] = "Nicht zuständig: Privatgrundstück, Eigentümer informiert."
        _Open311.notes["SR-2"] = "Erledigt am 3.12."
        assert poll_status_updates(app) == 2
        harness.deliver()
        emma = harness.console.to("resident:emma")[-1].text
        assert emma.startswith(f"Neuer Stand zu {first}: geschlossen, nicht behoben")
        assert "Privatgrundstück" in emma
        finn = harness.console.to("resident:finn")[-1].text
        assert finn.startswith(f"Neuer Stand zu {second}: erledigt") and "3.12." in finn
        with app.uow_factory() as uow:
            one, two = uow.concerns.get(1), uow.concerns.get(2)
            assert (one.state, one.close_reason) == ("closed", "not_responsible")  # type: ignore[union-attr]
            assert two.state == "fixed"  # type: ignore[union-attr]
    finally:
        app.close()


def test_a_photo_reaches_the_open311_endpoint_as_media_url(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, open311_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    app, harness = _open311_app(settings, database_url, clock, open311_endpoint)
    try:
        with public_api(app) as base:
            harness.say("gero", photo=PNG)
            ticket = harness.report("gero", "Sperrmüll an der Jülicher Straße 9")
            assert len(_Open311.posts) == 1
            media_url = _Open311.posts[0]["media_url"][0]
            assert media_url.startswith(base + "/photos/") and media_url.endswith(".png")
            assert _Open311.media["SR-1"] == ("image/png", PNG)  # fetched by the endpoint
            # A second photo after the ticket: GeoReport v2 cannot add it to the request; the
            # resident hears so instead of "it goes to the department".
            later = harness.say("gero", photo=PNG_LATER)[-1].text
            assert later.startswith(f"Das Foto ist bei {ticket} gespeichert.")
            assert (
                "nimmt" in later and "nicht an" in later and "geht an die zuständige" not in later
            )
            harness.deliver()
            assert len(_Open311.posts) == 1  # nothing sent to the endpoint for it
            assert any("Foto nachgereicht" in m.text for m in harness.room("abfall"))
    finally:
        app.close()


def test_a_photo_sent_while_the_request_is_not_created_yet_goes_with_it(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, open311_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    app, harness = _open311_app(settings, database_url, clock, open311_endpoint)
    try:
        with public_api(app):
            _Open311.fail_next = 1  # the endpoint is down: the request waits in the outbox
            ticket = harness.report("hana", "Sperrmüll an der Jülicher Straße 11")
            said = harness.say("hana", photo=PNG)[-1].text
            assert said == f"Das Foto ist bei {ticket} ergänzt und geht an die zuständige Stelle."
            clock.advance(minutes=5)
            harness.deliver()
            assert len(_Open311.posts) == 1
            assert _Open311.media["SR-1"] == ("image/png", PNG)
    finally:
        app.close()


def test_the_runner_builds_senders_for_the_configured_destination_types(  # type: ignore[no-untyped-def]
    settings, database_url, clock
) -> None:
    from bot.destinations import destination_senders

    plain = build_app(
        settings,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    with_both = build_app(
        _with_destination(
            _with_destination(settings, EmailDestination(type="email", to="a@b.example")),
            Open311Destination(type="open311", endpoint="http://127.0.0.1:9/v2"),
        ),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
    )
    try:
        assert destination_senders(plain) == []
        assert sorted(s.channel for s in destination_senders(with_both)) == ["email", "open311"]
    finally:
        plain.close()
        with_both.close()


def test_one_concern_to_four_destinations_each_exactly_once_despite_an_outage(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, smtp_server, open311_endpoint, monkeypatch
) -> None:
    """Chat channels are recording senders here (their adapters have their own e2e tests);
    e-mail and Open311 are the real loopback peers."""
    from bot.channels.matrix import MatrixDestination
    from bot.channels.telegram import TelegramDestination
    from tests.fakes import RecordingSender

    port, cert, received, _logins = smtp_server
    monkeypatch.setenv("LOTSE_SMTP_PASSWORD", "geheim")
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    custom = settings
    for destination in (
        TelegramDestination(type="telegram", chat_id=-1001),
        MatrixDestination(type="matrix", room_id="!abfall:aachen.example"),
        EmailDestination(type="email", to="abfall@stadt.example"),
        Open311Destination(
            type="open311", endpoint=open311_endpoint, api_key_env="AACHEN_OPEN311_KEY"
        ),
    ):
        custom = _with_destination(custom, destination)
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        matrix = RecordingSender("matrix")
        email_sender = EmailSender(
            EmailSettings(host="127.0.0.1", port=port, username="lotse"),
            "Aachen",
            context=ssl.create_default_context(cafile=str(cert)),
        )
        harness.dispatcher = app.attach_senders(
            [harness.console, harness.telegram, matrix, email_sender, Open311Sender(app)]
        )
        harness.telegram.fail_next = 3  # Telegram down for a while
        _Open311.fail_next = 2  # and the Open311 endpoint too
        ticket = harness.report("emil", "Sperrmüll am Adalbertsteinweg 50")
        for _ in range(8):  # time passes; the outbox retries with backoff
            clock.advance(minutes=10)
            harness.deliver()
    finally:
        app.close()
    assert len([m for m in harness.telegram.to("-1001") if ticket in m.text]) == 1
    assert len([m for m in matrix.to("!abfall:aachen.example") if ticket in m.text]) == 1
    assert len([m for m in received if ticket in m["Subject"]]) == 1
    assert len(_Open311.posts) == 1
    assert len([m for m in harness.room("abfall") if ticket in m.text]) == 1


def test_message_ids_are_stable_per_message_and_differ_between_installations() -> None:
    from bot.core.messages import OutMessage
    from bot.destinations.email import message_id

    forward = OutMessage(
        id=1,
        key="forward:7:abfall:email:abfall@stadt.example",
        channel="email",
        address="abfall@stadt.example",
        text="Neues Anliegen",
        kind="forward",
        extra={"ticket": "AC-2026-00007", "concern_id": "7", "category_name": "Müll"},
    )
    settings = EmailSettings(sender="lotse@aachen.example")
    here = EmailSender(settings, "Aachen", installation="install-a")
    again = EmailSender(settings, "Aachen", installation="install-a")  # after a restart
    there = EmailSender(settings, "Aachen", installation="install-b")  # another installation
    first = here.build(forward)["Message-ID"]
    assert first == again.build(forward)["Message-ID"]
    assert first != there.build(forward)["Message-ID"]
    assert first.startswith("<lotse.7.") and first.endswith("@aachen.example>")
    assert first == message_id(forward.key, "lotse@aachen.example", "install-a", 7)


def test_a_photo_added_later_goes_out_as_an_addition_with_the_attachment(  # type: ignore[no-untyped-def]
    settings, database_url, clock, smtp_server, monkeypatch
) -> None:
    port, cert, received, _logins = smtp_server
    monkeypatch.setenv("LOTSE_SMTP_PASSWORD", "geheim")
    custom = _with_destination(settings, EmailDestination(type="email", to="abfall@stadt.example"))
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        sender = EmailSender(
            EmailSettings(host="127.0.0.1", port=port, username="lotse"),
            "Aachen",
            context=ssl.create_default_context(cafile=str(cert)),
        )
        harness = Harness(app)
        harness.dispatcher = app.attach_senders([harness.console, harness.telegram, sender])
        ticket = harness.report("ida", "Sperrmüll an der Jülicher Straße 21")
        said = harness.say("ida", photo=PNG)[-1].text
        assert said == f"Das Foto ist bei {ticket} ergänzt und geht an die zuständige Stelle."
    finally:
        app.close()
    subjects = [m["Subject"] for m in received]
    assert "None" not in " ".join(subjects)
    addition = next(
        m for m in received if m["Subject"] == f"[{ticket}] Nachtrag zum Anliegen: Foto"
    )
    attachments = list(addition.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_content() == PNG
    first = next(m for m in received if "Neues Anliegen" in m["Subject"])
    assert addition["Message-ID"] != first["Message-ID"]
