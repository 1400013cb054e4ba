"""Untrusted text made safe to display: control and bidirectional-override characters
become visible marks or disappear, and long unbroken runs get places to wrap.

Pure functions, no widgets: the dialogs pass every string a request carries through
``for_display`` before it reaches a (plain-text) label.
"""

from __future__ import annotations

import re

# Embeddings, overrides and isolates reorder what follows them: "txt.exe" can be made to
# read "exe.txt". They are shown as a visible mark naming the character.
BIDI_CONTROLS = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u061c": "ALM",
}

# Invisible characters that can hide or split words without any use in a prompt.
# (U+200D, the zero-width joiner, stays: emoji sequences need it.)
INVISIBLE = {"\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e"}

BREAK_EVERY = 30
"""A run of this many characters without a space gets a zero-width break opportunity, so
a label wraps it instead of growing wider than the screen."""

ZERO_WIDTH_SPACE = "\u200b"
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")


def _visible(char: str) -> str:
    code = ord(char)
    if char in BIDI_CONTROLS:
        return f"[{BIDI_CONTROLS[char]} U+{code:04X}]"
    # A code point in brackets rather than a Control Picture (␛): few fonts draw those.
    return f"[U+{code:04X}]"


def neutralise(text: str, multiline: bool = True) -> str:
    """``text`` with every control, bidi-control and invisible character made visible or
    removed. Line breaks of any kind become ``\\n`` when ``multiline``, else a visible
    mark; a tab becomes a space."""
    text = _LINE_BREAK.sub("\n", text)
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char == "\n":
            out.append("\n" if multiline else "\u21b5")  # ↵
        elif char == "\t":
            out.append(" ")
        elif char in INVISIBLE:
            continue
        elif code < 0x20 or 0x7F <= code <= 0x9F or char in BIDI_CONTROLS:
            out.append(_visible(char))
        else:
            out.append(char)
    return "".join(out)


def breakable(text: str, every: int = BREAK_EVERY) -> str:
    """``text`` with a zero-width space inside every run of more than ``every`` non-space
    characters, so word wrapping never has to cut or overflow."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        return ZERO_WIDTH_SPACE.join(run[i : i + every] for i in range(0, len(run), every))

    return re.sub(rf"\S{{{every + 1},}}", split, text)


def for_display(text: str, multiline: bool = True) -> str:
    """What a dialog shows for the untrusted ``text``: neutralised, then breakable."""
    return breakable(neutralise(text, multiline))
