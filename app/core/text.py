"""Untrusted text made safe to display: characters that draw nothing, reorder text or
control the terminal become visible marks or disappear, and long unbroken runs get places
to wrap.

Pure functions, no widgets: every place that shows an extension's text (the dialogs, tray
notifications, the Activity and Remembered decisions windows, ``bridgekeeper decisions
list``) passes it through ``neutralise`` (the dialogs through ``for_display``) first.
"""

from __future__ import annotations

import re
import unicodedata

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


def _code_points(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(code for first, last in ranges for code in range(first, last + 1))


# Unicode's Default_Ignorable_Code_Point is derived (DerivedCoreProperties.txt) as
# Other_Default_Ignorable_Code_Point + Cf + Variation_Selector - White_Space - a few
# visible format characters. Python's unicodedata gives the general category (so Cf
# comes from it, for whatever Unicode version Python carries) but not the two contributory
# properties: their ranges follow, as PropList.txt lists them (unchanged since Unicode 6.1,
# unassigned code points included, since renderers already hide those).
OTHER_DEFAULT_IGNORABLE = _code_points(
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x2065, 0x2065),
    (0x3164, 0x3164),  # Hangul filler
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0000),
    (0xE0002, 0xE001F),
    (0xE0080, 0xE00FF),
    (0xE01F0, 0xE0FFF),
)
VARIATION_SELECTORS = _code_points(
    (0x180B, 0x180D),  # Mongolian free variation selectors
    (0x180F, 0x180F),
    (0xFE00, 0xFE0F),
    (0xE0100, 0xE01EF),
)
BLANK_SYMBOLS = _code_points((0x2800, 0x2800))
"""Drawn as nothing though no property says so: the blank Braille pattern. (The Hangul
fillers, which also draw a blank, are in Other_Default_Ignorable_Code_Point.)"""

# What is dropped rather than marked: characters ordinary text uses (Persian and Indic
# joiners, soft hyphens, emoji and CJK variation selectors, byte order marks), which
# change no word a reader sees when they go. Everything else hidden is marked, so a title
# made of fillers or tags shows as such instead of as blank.
DROPPED = VARIATION_SELECTORS | _code_points(
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x17B4, 0x17B5),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200D),  # zero-width space, non-joiner, joiner
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0xFEFF, 0xFEFF),  # zero-width no-break space (byte order mark)
)
ZERO_WIDTH_JOINER = "\u200d"
EMOJI_PRESENTATION = frozenset("\ufe0e\ufe0f")
"""The text and emoji presentation selectors; one may stay right after a symbol."""
EMOJI_MODIFIERS = _code_points((0x1F3FB, 0x1F3FF))
"""Skin tones (category Sk), which come between an emoji and a joiner."""

BREAK_EVERY = 30
"""A run of this many characters without a space gets a zero-width break opportunity, so
a label wraps it instead of growing wider than the screen."""

ZERO_WIDTH_SPACE = "\u200b"
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")


def is_hidden(char: str) -> bool:
    """True for a character that draws nothing or reorders text: a default-ignorable
    code point, any format character (Cf, bidi controls included), a blank symbol."""
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or code in OTHER_DEFAULT_IGNORABLE
        or code in VARIATION_SELECTORS
        or code in BLANK_SYMBOLS
    )


def _symbol(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sm")


def kept_in_emoji(text: str, index: int) -> bool:
    """True when the hidden character at ``text[index]`` is part of an emoji and stays:
    a presentation selector right after a symbol ("❤️"), or a joiner between an emoji
    (with its selector or skin tone) and the next pictograph ("👩🏽‍💻", "🏳️‍🌈"). Each
    draws nothing of its own, and one of them after a visible symbol hides nothing."""
    char = text[index]
    before = text[index - 1] if index > 0 else ""
    if char in EMOJI_PRESENTATION:
        return bool(before) and _symbol(before)
    if char == ZERO_WIDTH_JOINER and 0 < index < len(text) - 1:
        after = text[index + 1]
        if unicodedata.category(after) != "So":
            return False
        if before in EMOJI_PRESENTATION:
            return kept_in_emoji(text, index - 1)
        return unicodedata.category(before) == "So" or ord(before) in EMOJI_MODIFIERS
    return False


def _visible(char: str) -> str:
    code = ord(char)
    if char in BIDI_CONTROLS:
        return f"[{BIDI_CONTROLS[char]} U+{code:04X}]"
    # A code point in brackets rather than a Control Picture (␛): few fonts draw those.
    return f"[U+{code:04X}]"


def neutralise(text: str, multiline: bool = True) -> str:
    """``text`` with every control character, bidi control and character that draws
    nothing made visible or removed (see ``DROPPED``; emoji keep their joiners and
    presentation selectors). Line breaks of any kind become ``\\n`` when ``multiline``,
    else a visible mark; a tab becomes a space. A lone surrogate is marked too."""
    text = _LINE_BREAK.sub("\n", text)
    out: list[str] = []
    for index, char in enumerate(text):
        code = ord(char)
        if char == "\n":
            out.append("\n" if multiline else "\u21b5")  # ↵
        elif char == "\t":
            out.append(" ")
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            out.append(_visible(char))
        elif code < 0xA0:
            out.append(char)  # ASCII: the common case, nothing to look up
        elif not is_hidden(char) or kept_in_emoji(text, index):
            out.append(char)
        elif code not in DROPPED:
            out.append(_visible(char))
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
