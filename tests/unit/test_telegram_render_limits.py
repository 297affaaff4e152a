"""Telegram rendering (splitting, keyboards) and the sliding flood-limit windows, without I/O."""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pytest

from bot.channels.telegram.limits import ChatWindows, OverallWindow, Window
from bot.channels.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, parts, split_text
from bot.core.messages import Choice, OutMessage


def message(text: str, **fields: object) -> OutMessage:
    return OutMessage(id=1, key="k", channel="telegram", address="42", text=text, **fields)  # type: ignore[arg-type]


def test_a_long_text_is_split_at_line_breaks_within_the_limit() -> None:
    text = "\n".join(f"Zeile {i} " + "x" * 50 for i in range(200))
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(0 < len(p) <= TEXT_LIMIT for p in pieces)
    assert "\n".join(pieces) == text


def test_a_text_without_breaks_is_still_cut_to_the_limit() -> None:
    pieces = split_text("x" * (TEXT_LIMIT * 2 + 5))
    assert [len(p) for p in pieces] == [TEXT_LIMIT, TEXT_LIMIT, 5]


def test_choices_become_one_button_per_row_under_the_last_part() -> None:
    sends = parts(message("x" * 5000, choices=(Choice("yes", "Ja"), Choice("other", "Nein"))))
    assert len(sends) == 2 and sends[0].keyboard is None
    markup = sends[-1].keyboard
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["yes"],
        ["other"],
    ]


def test_staff_actions_sit_side_by_side_and_overlong_payloads_are_left_out() -> None:
    actions = (Choice("/show AC-2026-00001", "Details"), Choice("/x " + "y" * 70, "zu lang"))
    markup = parts(message("neu", actions=actions))[0].keyboard
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Details"]]


@pytest.mark.parametrize(("length", "sends"), [(CAPTION_LIMIT, 1), (CAPTION_LIMIT + 1, 2)])
def test_a_photo_carries_its_text_as_caption_when_it_fits(length: int, sends: int) -> None:
    rendered = parts(message("a" * length, photo=b"\x89PNG"))
    assert len(rendered) == sends
    assert rendered[-1].photo == b"\x89PNG"


def test_a_private_chat_gets_one_send_per_second() -> None:
    windows = ChatWindows(private=Window(1, 1.0, margin=0.0))
    windows.record(7, 100.0)
    assert windows.plan(7, 3, 100.2) == [101.0, 102.0, 103.0]
    assert windows.plan(8, 1, 100.2) == [100.2]  # another chat is free


def test_a_group_window_slides_instead_of_leaking() -> None:
    windows = ChatWindows(group=Window(20, 60.0, margin=0.0))
    for i in range(20):
        windows.record(-5, 1000.0 + i * 0.1)
    # A leaky bucket would allow the 21st send three seconds later; the window says 60 s
    # after the first of the twenty.
    assert windows.plan(-5, 1, 1003.0) == [1060.0]


def test_old_sends_are_forgotten() -> None:
    window = Window(2, 1.0, margin=0.0)
    times = deque([1.0, 1.5, 3.0])
    window.forget(times, 3.2)
    assert list(times) == [3.0]


@pytest.mark.asyncio
async def test_the_overall_window_counts_sends_in_flight_and_from_when_they_were_done() -> None:
    overall = OverallWindow(Window(3, 0.3, margin=0.0))
    for _ in range(3):
        await overall.acquire()  # three sends in flight: the window is full
    fourth = asyncio.ensure_future(overall.acquire())
    await asyncio.sleep(0.05)
    assert not fourth.done()  # in-flight sends count, however long they take
    overall.release()
    done_at = time.monotonic()
    await asyncio.sleep(0.1)
    assert not fourth.done()  # and a done send counts for the window's length after it
    await asyncio.wait_for(fourth, 1.0)
    assert time.monotonic() - done_at >= 0.29
