"""Who is calling: read only from the command line the browser starts the host with.

Chromium family: ``argv[1] = chrome-extension://<id>/`` (Windows adds
``--parent-window=<n>``). Firefox family: ``argv[1] = <manifest path>``,
``argv[2] = <add-on id>``. Nothing inside a message can change this.

The forms are taken exactly as browsers write them, and anything else is an unknown
caller (which the app answers ``untrusted_extension``), so that no argv can be read as
an allowed extension it does not name exactly:
- Chromium: exactly one argument besides ``--`` options, ``chrome-extension://`` then
  32 letters a-p then ``/``. ``chrome-extension:///ID/``, ``chrome-extension://ID//``,
  ``chrome-extension://ID`` (no slash) and ``chrome-extension://ID/page`` are not it:
  browsers never write them, and reading them as ID would let a mangled origin pass for
  an allowed extension.
- Firefox: exactly two arguments, an absolute path to a ``.json`` file (the manifest the
  browser read), then the add-on id, taken as it is (the allow-list compares it exactly).
  The manifest's path is checked for its form only, not opened: it names the file the
  browser chose (on Windows, whatever the registry points at, under any file name), and
  its contents prove nothing about who calls; reading it would cost every call a JSON
  parse for no trust gained.

This module is also the one table of browser families: their names, the Chromium origin
prefix, and what a dialog calls a browser of a family it cannot name more precisely.
"""

from __future__ import annotations

import os
import sys

CHROMIUM = "chromium"
FIREFOX = "firefox"
UNKNOWN = "unknown"
FAMILIES = (CHROMIUM, FIREFOX)
CHROME_ORIGIN_PREFIX = "chrome-extension://"
FAMILY_LABELS = {CHROMIUM: "a Chromium-family browser", FIREFOX: "a Firefox-family browser"}


class Caller:
    """Who asks: the browser family and extension id the browser gave the host and, in the
    app, the browser's display name. Treated as immutable; compared by value.

    A plain class, not a dataclass or named tuple: the host builds one on every browser
    call and must not import what those need."""

    __slots__ = ("browser", "extension", "family", "parent_window")

    def __init__(
        self, family: str, extension: str, browser: str = "", parent_window: int | None = None
    ) -> None:
        self.family = family
        self.extension = extension
        self.parent_window = parent_window
        self.browser = browser
        """The browser's display name ("Chromium"), or "" when the app could not tell."""

    @property
    def label(self) -> str:
        """The browser as a dialog names it: its display name, else its family's."""
        return self.browser or FAMILY_LABELS.get(self.family, "an unknown program")

    def _key(self) -> tuple[str, str, str, int | None]:
        return (self.family, self.extension, self.browser, self.parent_window)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Caller) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Caller(family={self.family!r}, extension={self.extension!r}, "
            f"browser={self.browser!r}, parent_window={self.parent_window!r})"
        )


CHROMIUM_ID_LENGTH = 32
CHROMIUM_ID_LETTERS = frozenset("abcdefghijklmnop")


def is_chromium_id(text: str) -> bool:
    """32 letters a-p: the form every Chromium extension id has."""
    return len(text) == CHROMIUM_ID_LENGTH and CHROMIUM_ID_LETTERS.issuperset(text)


def parse_caller(argv: list[str]) -> Caller:
    """The caller described by the host's ``argv`` (without the program name); an
    unknown caller for any argv that is not exactly a form a browser writes."""
    parent_window: int | None = None
    positional: list[str] = []
    for arg in argv:
        if arg.startswith("--parent-window="):
            value = arg.partition("=")[2]
            parent_window = int(value) if value.isdigit() else None
        elif not arg.startswith("--"):
            positional.append(arg)
    if len(positional) == 1 and positional[0].startswith(CHROME_ORIGIN_PREFIX):
        origin = positional[0]
        extension = origin[len(CHROME_ORIGIN_PREFIX) : -1]
        if origin.endswith("/") and is_chromium_id(extension):
            return Caller(CHROMIUM, extension, parent_window=parent_window)
    elif len(positional) == 2:
        manifest, addon = positional
        if os.path.isabs(manifest) and manifest.endswith(".json") and addon:
            return Caller(FIREFOX, addon, parent_window=parent_window)
    return Caller(UNKNOWN, "", parent_window=parent_window)


def browser_executable() -> str | None:
    """The executable of the process that started the host (the browser), where knowable."""
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/{os.getppid()}/exe")
        except OSError:
            return None
    return None
