"""Untrusted text made safe for display (app.core.text)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.text import (
    BIDI_CONTROLS,
    BREAK_EVERY,
    ZERO_WIDTH_SPACE,
    breakable,
    for_display,
    neutralise,
)


def test_plain_text_is_unchanged() -> None:
    assert for_display("Allow example.com to read your clipboard?") == (
        "Allow example.com to read your clipboard?"
    )


def test_right_to_left_override_is_made_visible() -> None:
    shown = neutralise("invoice\u202egnp.exe")
    assert "\u202e" not in shown
    assert shown == "invoice[RLO U+202E]gnp.exe"


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS))
def test_every_bidi_control_is_made_visible(char: str) -> None:
    shown = neutralise(f"a{char}b")
    assert char not in shown
    assert f"U+{ord(char):04X}" in shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x00b", "a[U+0000]b"),
        ("a\x1bb", "a[U+001B]b"),
        ("a\x7fb", "a[U+007F]b"),
        ("a\x9bb", "a[U+009B]b"),
        ("a\tb", "a b"),
        ("a\u200bb\ufeffc", "abc"),
    ],
)
def test_control_and_invisible_characters(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


def test_line_breaks_are_normalised_or_marked() -> None:
    assert neutralise("a\r\nb\rc\u2028d") == "a\nb\nc\nd"
    assert neutralise("one\ntwo", multiline=False) == "one\u21b5two"


def test_html_is_left_as_text() -> None:
    assert for_display("<b>bold</b>") == "<b>bold</b>"


def test_long_run_gets_break_opportunities_without_losing_text() -> None:
    title = "x" * 200
    shown = breakable(title)
    assert shown.replace(ZERO_WIDTH_SPACE, "") == title
    assert all(len(piece) <= BREAK_EVERY for piece in shown.split(ZERO_WIDTH_SPACE))


def test_words_of_normal_length_are_not_split() -> None:
    text = "a sentence of ordinary words"
    assert breakable(text) == text


@given(st.text())
def test_no_dangerous_character_survives(text: str) -> None:
    shown = for_display(text)
    for char in shown:
        code = ord(char)
        assert char == "\n" or code >= 0x20
        assert not 0x7F <= code <= 0x9F
        assert char not in BIDI_CONTROLS
