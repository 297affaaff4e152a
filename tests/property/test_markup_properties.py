"""Property-based: whatever a resident writes cannot become markup where staff read it — in a
Matrix staff room (HTML body), a Telegram group (plain text, no parse mode) or an e-mail
(text/plain)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.matrix.format import content
from bot.channels.telegram.render import parts
from bot.config import EmailSettings
from bot.core.messages import Choice, OutMessage
from bot.destinations.email import EmailSender

MARKUP = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '<a href="javascript:x">klick</a>',
            "<b>fett</b> &amp; &lt;",
            "**fett** _kursiv_ [link](http://x) `code`",
            "<img src=x onerror=alert(1)>",
            "AC-2026-00001 <i>",
        ]
    ),
)
# The only tags the HTML body may contain are the ones the bot itself writes.
OWN_TAGS = re.compile(r"</?(?:br|b|ol|li)>")


def message(text: str, label: str) -> OutMessage:
    return OutMessage(
        id=1,
        key="forward:1:abfall:matrix:!room",
        channel="matrix",
        address="!room:x",
        text=f"Neues Anliegen AC-2026-00001\n{text}",
        choices=(Choice("yes", label),),
        kind="forward",
        extra={"ticket": "AC-2026-00001", "description": text},
    )


@settings(max_examples=300, deadline=None)
@given(text=MARKUP, label=MARKUP)
def test_resident_text_never_becomes_html_in_a_matrix_staff_room(text: str, label: str) -> None:
    html = content(message(text, label))["formatted_body"]
    assert "<" not in OWN_TAGS.sub("", html)


@settings(max_examples=200, deadline=None)
@given(text=MARKUP)
def test_telegram_sends_resident_text_as_plain_text(text: str) -> None:
    # The sender sets no parse mode (checked against the emulator in the e2e tests), so the
    # text goes out exactly as written: markup stays visible characters.
    sent = [p.text for p in parts(message(text, "ok"))]
    assert len(sent) == 1 and sent[0] == f"Neues Anliegen AC-2026-00001\n{text}"


EMAIL = EmailSender(EmailSettings(host="127.0.0.1", port=25, security="none"), "Aachen")


@settings(max_examples=200, deadline=None)
@given(text=MARKUP)
def test_an_email_to_the_department_is_plain_text_only(text: str) -> None:
    mail = EMAIL.build(message(text, "ok"))
    types = {part.get_content_type() for part in mail.walk()}
    assert "text/html" not in types
    assert mail.get_content_type() in ("text/plain", "multipart/mixed")
