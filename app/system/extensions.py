"""Extension ids as the command line, the settings and the policy take them (SPEC 1.1
"Command line"): a Chromium id (32 letters a-p) or its ``chrome-extension://<id>/``
origin, or a Firefox add-on id (``name@domain`` or a ``{GUID}``), optionally ``=NAME``.
Anything else is refused with the accepted forms, never guessed into a family."""

from __future__ import annotations

import re
from dataclasses import dataclass

from host.caller import CHROME_ORIGIN_PREFIX, CHROMIUM, FIREFOX

_CHROMIUM_ID = re.compile(r"[a-p]{32}")
# Firefox's own rule for add-on ids (what addons.mozilla.org and Firefox accept).
_FIREFOX_ID = re.compile(
    r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|[a-z0-9._-]*@[a-z0-9._-]+",
    re.IGNORECASE,
)
MAX_ID = 200
MAX_NAME = 100

FORMS = (
    "an extension id is a Chromium id (32 letters a-p, like jkdnicfhmapgokpkghnoknfplbgkmjan), "
    "its origin chrome-extension://<id>/, or a Firefox add-on id (name@domain, like "
    "demo@bridgekeeper.org, or a {GUID}); add =NAME to give it the name prompts show"
)
"""The accepted forms, for every message that refuses an id."""


class BadExtension(ValueError):
    """A value that is not an extension id in one of the accepted forms; the message
    names the value and the forms."""


@dataclass(frozen=True)
class Extension:
    """One allowed extension: its browser family, its id and its install-time name."""

    family: str
    id: str
    name: str = ""

    @property
    def origin(self) -> str:
        """The ``allowed_origins`` entry (Chromium family only)."""
        return f"{CHROME_ORIGIN_PREFIX}{self.id}/"


def parse_extension(text: str) -> Extension:
    """``ID``, ``chrome-extension://ID/`` or a Firefox add-on id, optionally ``=NAME``;
    ``BadExtension`` for anything else."""
    ident, _, name = text.partition("=")
    ident, name = ident.strip(), name.strip()
    if len(name) > MAX_NAME or any(not char.isprintable() for char in name):
        raise BadExtension(
            f"{text!r}: the name after '=' must be printable and at most {MAX_NAME} characters"
        )
    if ident.startswith(CHROME_ORIGIN_PREFIX):
        bare = ident[len(CHROME_ORIGIN_PREFIX) :]
        bare = bare[:-1] if bare.endswith("/") else bare
        if not _CHROMIUM_ID.fullmatch(bare):
            raise BadExtension(f"{text!r} is not an extension id: {_hint(bare)}{FORMS}")
        return Extension(CHROMIUM, bare, name)
    if _CHROMIUM_ID.fullmatch(ident):
        return Extension(CHROMIUM, ident, name)
    if len(ident) <= MAX_ID and _FIREFOX_ID.fullmatch(ident):
        return Extension(FIREFOX, ident, name)
    raise BadExtension(f"{text!r} is not an extension id: {_hint(ident)}{FORMS}")


def _hint(ident: str) -> str:
    """What is wrong with something that looks almost like a Chromium id."""
    if len(ident) == 32 and ident.isalpha() and ident.isascii():
        if _CHROMIUM_ID.fullmatch(ident.lower()):
            return "Chromium ids are lower case; "
        return "Chromium ids use only the letters a to p; "
    return ""
