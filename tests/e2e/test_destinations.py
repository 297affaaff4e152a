"""Destinations against real peers on loopback: an SMTP server (aiosmtpd, STARTTLS + AUTH) and
an Open311 GeoReport v2 endpoint (a small HTTP server written here that records requests)."""

from __future__ import annotations

import email
import json
import shutil
import socket
import ssl
import subprocess
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from bot.bootstrap import build_app
from bot.config import EmailDestination, EmailSettings, Open311Destination
from bot.destinations.email import EmailSender
from bot.destinations.open311 import Open311Sender, poll_status_updates
from tests.conftest import Harness, skip_or_fail
from tests.fakes import FakeClock, KeywordClassifier

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_destination(settings, destination):  # type: ignore[no-untyped-def]
    departments = [
        d.model_copy(update={"destinations": [*d.destinations, destination]})
        if d.id == "abfall"
        else d
        for d in settings.departments
    ]
    return settings.model_copy(update={"departments": departments})


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def smtp_server(tls_files):  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tls_files
    received: list[email.message.EmailMessage] = []
    logins: list[str] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"lotse",
            b"geheim",
        )
        if ok:
            logins.append(mechanism)
        return AuthResult(success=ok)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = _free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        yield port, cert, received, logins
    finally:
        controller.stop()


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
    posts: ClassVar[list[dict[str, list[str]]]] = []
    status: ClassVar[dict[str, str]] = {}
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
        self._json(201, [{"service_request_id": rid, "service_notice": ""}])

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        ids = query.get("service_request_id", [""])[0].split(",")
        self._json(
            200,
            [
                {
                    "service_request_id": i,
                    "status": type(self).status.get(i, "open"),
                    "status_notes": "Abgeholt am Montag."
                    if type(self).status.get(i) == "closed"
                    else None,
                }
                for i in ids
                if i in type(self).status
            ],
        )


@pytest.fixture
def open311_endpoint():  # type: ignore[no-untyped-def]
    _Open311.posts, _Open311.status, _Open311.fail_next = [], {}, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Open311)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2"
    finally:
        server.shutdown()
        server.server_close()


def test_open311_request_once_and_status_back(  # type: ignore[no-untyped-def]
    settings, database_url, clock: FakeClock, open311_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("AACHEN_OPEN311_KEY", "k3y")
    destination = Open311Destination(
        type="open311",
        endpoint=open311_endpoint,
        api_key_env="AACHEN_OPEN311_KEY",
        jurisdiction_id="aachen.de",
        service_codes={"illegal_dumping": "SPERR-01"},
    )
    app = build_app(
        _with_destination(settings, destination),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        harness.dispatcher = app.attach_senders(
            [harness.console, harness.telegram, Open311Sender(app)]
        )
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
        _Open311.status["SR-1"] = "closed"
        assert poll_status_updates(app) == 1
        harness.deliver()
        heard = harness.console.to("resident:dora")[-1].text
        assert "erledigt" in heard and "Abgeholt am Montag." in heard
        assert poll_status_updates(app) == 0
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
    from bot.config import MatrixDestination, TelegramDestination
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
