"""Messages handled in lanes (issue #14): on PostgreSQL the core handles different people at
once, one person's messages strictly in order and never two at the same time; new residents
and conversations made at the same moment all get their own rows."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.core.messages import ChatKind, Incoming
from storage.models import Conversation, Resident

WAIT = 60  # seconds: only a deadlock would take this long


def _message(who: str, text: str, n: int) -> Incoming:
    return Incoming(
        channel="console",
        sender=who,
        chat=f"resident:{who}",
        chat_kind=ChatKind.PRIVATE,
        text=text,
        language_hint="de",
        message_id=f"{who}-{n}",
    )


def test_one_residents_messages_run_in_order_and_never_at_once(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    handle = app.lotse.handle
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    hold_first = threading.Event()

    def recorded(incoming: Incoming, *reading: object) -> list[str]:
        with lock:
            log.append(("start", incoming.message_id))
        if incoming.message_id == "anna-0":
            # Held until every message is submitted: without lanes a free worker would
            # start anna's next message meanwhile.
            assert hold_first.wait(WAIT)
        try:
            return handle(incoming, *reading)  # type: ignore[arg-type]
        finally:
            with lock:
                log.append(("end", incoming.message_id))

    app.lotse.handle = recorded
    texts = ["Ein tiefes Schlagloch in der Pontstraße vor Nummer 12", "ja", "überspringen"]
    anna = [app.submit(_message("anna", text, n)) for n, text in enumerate(texts)]
    others = [app.submit(_message(f"other-{n}", "Hallo", 0)) for n in range(3)]
    if app.core_workers._max_workers > 1:  # PostgreSQL: the others do not wait for anna
        for future in others:
            future.result(WAIT)
    hold_first.set()
    for future in anna + others:
        future.result(WAIT)
    annas = [entry for entry in log if entry[1].startswith("anna-")]
    assert annas == [
        ("start", "anna-0"),
        ("end", "anna-0"),
        ("start", "anna-1"),
        ("end", "anna-1"),
        ("start", "anna-2"),
        ("end", "anna-2"),
    ]


def test_residents_writing_at_the_same_moment_get_their_own_rows(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    people = [f"person-{n}" for n in range(40)]
    futures = [app.submit(_message(who, "Hallo, ich habe eine Frage", 0)) for who in people]
    replies = [future.result(WAIT) for future in futures]
    assert all(replies), "everyone was answered (a failed turn returns no replies)"
    with app.uow_factory() as uow:
        pseudonyms = uow.session.scalars(
            select(Resident.pseudonym).where(Resident.external_id.in_(people))
        ).all()
        conversations = uow.session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.chat.like("resident:person-%"))
        )
    assert len(pseudonyms) == len(set(pseudonyms)) == len(people)
    assert conversations == len(people)


def test_a_message_is_read_ahead_while_a_worker_handles_another(make_app) -> None:  # type: ignore[no-untyped-def]
    # The classifier reads a message on the reader thread, before a core worker takes it:
    # the core's worker (the only one on SQLite) does not spend its time on spaCy, and the
    # message's turn uses what was read (the classifier is asked once).
    app = make_app()
    classifier = app.services.classifier.inner
    read_on: list[str] = []
    classify = classifier.classify

    def recorded(text: str):  # type: ignore[no-untyped-def]
        read_on.append(threading.current_thread().name)
        return classify(text)

    classifier.classify = recorded
    hold = threading.Event()
    handle = app.lotse.handle

    def held(incoming: Incoming, *reading: object) -> list[str]:
        if incoming.sender == "anna":
            assert hold.wait(WAIT)
        return handle(incoming, *reading)  # type: ignore[arg-type]

    app.lotse.handle = held
    first = app.submit(_message("anna", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12", 0))
    second = app.submit(_message("ben", "Die Straßenlaterne am Kaiserplatz 3 ist kaputt", 0))
    try:
        pause = threading.Event()
        for _ in range(int(WAIT / 0.05)):  # both are read while anna's turn is held
            if len(read_on) == 2:
                break
            pause.wait(0.05)
        assert read_on == ["lotse-read_0", "lotse-read_0"]
    finally:
        hold.set()
    assert "Straßen- und Gehwegschäden" in " ".join(first.result(WAIT))
    assert "Straßenbeleuchtung" in " ".join(second.result(WAIT))
    assert len(read_on) == 2, "a turn asked the classifier again"
