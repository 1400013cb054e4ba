"""Untrusted text made safe for display (app.core.text)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.text import (
    BIDI_CONTROLS,
    BREAK_EVERY,
    ZERO_WIDTH_SPACE,
    breakable,
    for_display,
    is_hidden,
    kept_in_emoji,
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


# -- characters that draw nothing (SPEC 1.1) ------------------------------------------

# Each reached a dialog's labels unchanged before (issue 12, point 10).
ISSUE_12 = [
    0x200C, 0x034F, 0x2061, 0x2062, 0x206A, 0x206F, 0x3164, 0xFFA0,
    0x115F, 0xE0041, 0x180B, 0xFE0F, 0x2800, 0xFFF9, 0x1D173, 0x17B4,
]  # fmt: skip
_MARK = re.compile(r"\[(?:[A-Z]{3} )?U\+[0-9A-F]{4,6}\]")


@pytest.mark.parametrize("code", ISSUE_12, ids=[f"U+{c:04X}" for c in ISSUE_12])
def test_invisible_character_is_removed_or_marked(code: int) -> None:
    char = chr(code)
    for multiline in (True, False):
        shown = neutralise(f"pay{char}pal", multiline)
        assert char not in shown
        assert shown in ("paypal", f"pay[U+{code:04X}]pal")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\u3164\u3164", "[U+3164][U+3164]"),  # a title of fillers does not look empty
        ("\u2800", "[U+2800]"),
        ("a\U000e0041\U000e0042b", "a[U+E0041][U+E0042]b"),  # tags cannot smuggle text
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645",
        ),
        ("soft\u00adhyphen", "softhyphen"),
        ("\u845b\U000e0100", "\u845b"),  # an ideographic variation selector goes
        ("a\ud800b", "a[U+D800]b"),  # a lone surrogate (JSON "\ud800") is marked
    ],
    ids=["fillers", "braille-blank", "tags", "persian-zwnj", "soft-hyphen", "ivs", "surrogate"],
)
def test_what_draws_nothing_is_shown_as_such_or_dropped(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


@pytest.mark.parametrize(
    "emoji",
    [
        "\u2764\ufe0f",  # red heart, emoji presentation
        "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # woman technologist, medium skin tone
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family
        "\u2194\ufe0f",  # left-right arrow (a math symbol) as emoji
    ],
)
def test_emoji_keep_their_joiners_and_presentation_selector(emoji: str) -> None:
    assert neutralise(f"Paid {emoji} thanks") == f"Paid {emoji} thanks"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\u200db", "ab"),  # a joiner between letters
        ("\u2764\ufe0f\ufe0f", "\u2764\ufe0f"),  # one selector, not a run that carries data
        ("\u2764\ufe00", "\u2764"),  # only the presentation selectors stay
        ("\U0001f600\u200d", "\U0001f600"),  # a joiner with nothing after it
        ("\U0001f600\u200d\u200d\U0001f600", "\U0001f600\U0001f600"),
        ("x\ufe0f", "x"),
    ],
)
def test_joiners_and_selectors_outside_emoji_go(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


def default_ignorable() -> frozenset[int]:
    """Unicode's Default_Ignorable_Code_Point from another copy of Unicode's data than
    Python's: Perl's, which carries the derived property Python's unicodedata lacks."""
    perl = shutil.which("perl")
    if perl is None:
        pytest.skip("perl is not installed: no second copy of Unicode's property data")
    script = (
        "for (0..0x10FFFF) { next if $_ >= 0xD800 && $_ <= 0xDFFF;"
        ' print "$_\\n" if chr($_) =~ /\\p{Default_Ignorable_Code_Point}/ }'
    )
    done = subprocess.run([perl, "-e", script], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout:
        pytest.skip(f"perl has no Unicode property data: {done.stderr.strip()[:200]}")
    return frozenset(int(line) for line in done.stdout.split())


@pytest.fixture(scope="module")
def ignorable() -> frozenset[int]:
    return default_ignorable()


def test_every_default_ignorable_code_point_is_hidden(ignorable: frozenset[int]) -> None:
    assert len(ignorable) > 4000
    missed = [f"U+{code:04X}" for code in sorted(ignorable) if not is_hidden(chr(code))]
    assert missed == []
    for code in ignorable:
        shown = neutralise(f"a{chr(code)}b")
        assert shown in ("ab", f"a{_visible_mark(code)}b"), f"U+{code:04X}"


def _visible_mark(code: int) -> str:
    name = BIDI_CONTROLS.get(chr(code))
    return f"[{name} U+{code:04X}]" if name else f"[U+{code:04X}]"


def test_hidden_beyond_default_ignorable_is_the_visible_format_characters_and_braille(
    ignorable: frozenset[int],
) -> None:
    extra = {
        code
        for code in range(sys.maxunicode + 1)
        if code not in ignorable and not 0xD800 <= code <= 0xDFFF and is_hidden(chr(code))
    }
    assert 0x2800 in extra
    assert {unicodedata.category(chr(code)) for code in extra - {0x2800}} == {"Cf"}


_IGNORABLE_SAMPLE = st.sampled_from(
    [chr(c) for c in (*ISSUE_12, 0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xFE0E, 0xE007F)]
    + list(BIDI_CONTROLS)
)
_EMOJI_PARTS = st.sampled_from(["\u2764", "\U0001f469", "\U0001f3fd", "\U0001f308", "+", "a"])


@given(st.text(st.one_of(st.characters(), _IGNORABLE_SAMPLE, _EMOJI_PARTS), max_size=40))
def test_nothing_default_ignorable_survives_unmarked(ignorable: frozenset[int], text: str) -> None:
    for multiline in (True, False):
        shown = neutralise(text, multiline)
        for index, char in enumerate(shown):
            if ord(char) in ignorable or is_hidden(char):
                assert kept_in_emoji(shown, index), (text, shown, index)
        # Every mark stands for a character of the input, never invented.
        for mark in _MARK.findall(shown):
            code = int(mark.rsplit("U+", 1)[1].rstrip("]"), 16)
            assert chr(code) in text
