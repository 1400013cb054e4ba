"""Who is calling: read only from the command line the browser starts the host with.

Chromium family: ``argv[1] = chrome-extension://<id>/`` (Windows adds
``--parent-window=<n>``). Firefox family: ``argv[1] = <manifest path>``,
``argv[2] = <add-on id>``. Nothing inside a message can change this.

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


def parse_caller(argv: list[str]) -> Caller:
    """The caller described by the host's ``argv`` (without the program name)."""
    parent_window: int | None = None
    positional: list[str] = []
    for arg in argv:
        if arg.startswith("--parent-window="):
            value = arg.partition("=")[2]
            parent_window = int(value) if value.isdigit() else None
        else:
            positional.append(arg)
    if positional and positional[0].startswith(CHROME_ORIGIN_PREFIX):
        extension = positional[0][len(CHROME_ORIGIN_PREFIX) :].strip("/")
        return Caller(CHROMIUM, extension, parent_window=parent_window)
    if len(positional) >= 2 and positional[0].endswith(".json"):
        return Caller(FIREFOX, positional[1], parent_window=parent_window)
    return Caller(UNKNOWN, "", parent_window=parent_window)


def browser_executable() -> str | None:
    """The executable of the process that started the host (the browser), where knowable."""
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/{os.getppid()}/exe")
        except OSError:
            return None
    return None
