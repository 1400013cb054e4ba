"""Which of the shipped languages the app's windows speak (SPEC "Languages"): the first of
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides, else the
system's setting; anything not shipped falls back to English.

Pure functions of the environment, no Qt: ``app.ui.i18n`` loads the translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

ENGLISH = "en"
SIMPLIFIED_CHINESE = "zh_CN"
SHIPPED = (ENGLISH, SIMPLIFIED_CHINESE)
VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""In the order gettext reads them; ``LANGUAGE`` may list several, separated by colons."""

# zh without a region, or in a region or script that writes Simplified characters.
# Traditional (zh_TW, zh_HK, zh_MO, zh_Hant) is not shipped: English is the fallback.
_SIMPLIFIED = {"", "cn", "sg", "my", "hans"}
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")


def shipped_language(tag: str) -> str | None:
    """The shipped language a locale name or language tag asks for: ``zh_CN.UTF-8``,
    ``zh-Hans-CN``, ``zh`` give ``zh_CN``; ``en_GB``, ``C``, ``POSIX`` give ``en``;
    ``fr_FR`` or ``zh_TW`` give None (not shipped)."""
    name = tag.split(".", 1)[0].split("@", 1)[0].strip()
    if name in ("C", "POSIX"):
        return ENGLISH
    if not _TAG.fullmatch(name):
        return None
    language, *rest = re.split(r"[_-]", name.lower())
    if language == "en":
        return ENGLISH
    if language == "zh":
        script_or_region = rest[0] if rest else ""
        if script_or_region == "hans" or (script_or_region in _SIMPLIFIED and "hant" not in rest):
            return SIMPLIFIED_CHINESE
    return None


def pick_language(environ: Mapping[str, str], system: Iterable[str] = ()) -> str:
    """The language to show: from the first of ``VARIABLES`` set in ``environ`` (for
    ``LANGUAGE``, the first listed that is shipped), else from ``system`` (the platform's
    preferred languages, best first), else English."""
    for variable in VARIABLES:
        value = environ.get(variable, "").strip()
        if not value:
            continue
        for entry in value.split(":") if variable == "LANGUAGE" else [value]:
            found = shipped_language(entry) if entry else None
            if found is not None:
                return found
        return ENGLISH
    for tag in system:
        found = shipped_language(tag)
        if found is not None:
            return found
    return ENGLISH
