"""Who is calling: read only from the command line the browser starts the host with.

Chromium family: ``argv[1] = chrome-extension://<id>/`` (Windows adds
``--parent-window=<n>``). Firefox family: ``argv[1] = <manifest path>``,
``argv[2] = <add-on id>``. Nothing inside a message can change this.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    class Caller(TypedDict):
        family: str
        extension: str
        parent_window: int | None


CHROMIUM = "chromium"
FIREFOX = "firefox"
UNKNOWN = "unknown"
CHROME_ORIGIN_PREFIX = "chrome-extension://"


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
        return {"family": CHROMIUM, "extension": extension, "parent_window": parent_window}
    if len(positional) >= 2 and positional[0].endswith(".json"):
        return {"family": FIREFOX, "extension": positional[1], "parent_window": parent_window}
    return {"family": UNKNOWN, "extension": "", "parent_window": parent_window}


def browser_executable() -> str | None:
    """The executable of the process that started the host (the browser), where knowable."""
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/{os.getppid()}/exe")
        except OSError:
            return None
    return None
