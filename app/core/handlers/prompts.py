"""Validation of the prompt requests (``confirm``, ``choose``, ``prompt``, ``notify``,
``cancel``): each field's type and limits per SPEC, defaults filled in, and a
``BadRequest`` naming the offending field for anything else, unknown fields included.

Limits SPEC leaves open, chosen here: ``title`` is required (1-200 characters, not only
spaces) for every prompt and ``notify``; ``message`` at most 4,000; ``site`` at most 2,048
and a URL or origin with a host (reduced to its origin); option ``id`` 1-100 and
``label`` 1-200 characters, ids unique; ``placeholder`` at most 200; a prompt's
``default`` at most its ``max_length``; ``max_length`` 1-4,096.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from app.core.dispatch import BadRequest
from host import protocol

TITLE_MAX = 200
MESSAGE_MAX = 4_000
DETAILS_MAX = 20_000
SITE_MAX = 2_048
LABEL_MAX = 40
OPTION_ID_MAX = 100
OPTION_LABEL_MAX = 200
OPTIONS_MIN = 2
OPTIONS_MAX = 12
PLACEHOLDER_MAX = 200
MAX_LENGTH_LIMIT = 4_096
MAX_LENGTH_DEFAULT = 1_024
TIMEOUT_DEFAULT = 60.0
TIMEOUT_MIN = 5.0
TIMEOUT_MAX = 600.0
ACTION_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")

Fields = dict[str, Any]


def _check_names(message: Fields, allowed: set[str]) -> None:
    for name in message:
        if name not in allowed and name not in ("type", "id"):
            raise BadRequest(f"unknown field {str(name)[:100]!r}")


def _text(message: Fields, name: str, limit: int, *, required: bool = False) -> str:
    value = message.get(name)
    if value is None and name not in message and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(
            f"field {name!r} is required and must be a string"
            if required
            else f"field {name!r} must be a string"
        )
    if len(value) > limit:
        raise BadRequest(f"field {name!r} is {len(value)} characters; at most {limit} allowed")
    if required and not value.strip():
        raise BadRequest(f"field {name!r} must not be empty")
    return value


def _bool(message: Fields, name: str) -> bool:
    value = message.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"field {name!r} must be true or false")
    return value


def _number(message: Fields, name: str, low: float, high: float, default: float) -> float:
    if name not in message:
        return default
    value = message[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"field {name!r} must be a number of seconds")
    if not low <= value <= high:
        raise BadRequest(f"field {name!r} must be between {low:g} and {high:g}; got {value}")
    return float(value)


def _timeout(message: Fields) -> float:
    return _number(message, "timeout", TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_DEFAULT)


def site_origin(site: str) -> str:
    """The origin (``scheme://host[:port]``) of a URL or origin; ``BadRequest`` naming
    ``site`` when it has no scheme and host. Default ports are dropped, case folded."""
    # A URL carries these percent-encoded; raw, they could disguise the origin shown.
    if any(unicodedata.category(char)[0] in "CZ" for char in site):
        raise BadRequest(
            "field 'site' must be a URL or origin without spaces, control or format characters"
        )
    try:
        parts = urlsplit(site)
        host = parts.hostname
        port = parts.port
    except ValueError as error:
        raise BadRequest(f"field 'site' is not a valid URL: {error}") from error
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme) or not host:
        raise BadRequest(
            "field 'site' must be a URL or origin with a host, e.g. https://example.com"
        )
    if ":" in host:
        host = f"[{host}]"
    if port is None or (scheme, port) in (("http", 80), ("https", 443), ("ws", 80), ("wss", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _site(message: Fields) -> str:
    site = _text(message, "site", SITE_MAX)
    return site_origin(site) if site else ""


def validate_confirm(message: Fields) -> Fields:
    _check_names(
        message,
        {
            "title",
            "message",
            "details",
            "site",
            "action",
            "allow_label",
            "deny_label",
            "timeout",
            "danger",
        },
    )
    action = message.get("action")
    if "action" in message and (
        not isinstance(action, str) or not ACTION_PATTERN.fullmatch(action)
    ):
        raise BadRequest("field 'action' must match [A-Za-z0-9._:-]{1,100}")
    return {
        "title": _text(message, "title", TITLE_MAX, required=True),
        "message": _text(message, "message", MESSAGE_MAX),
        "details": _text(message, "details", DETAILS_MAX),
        "site": _site(message),
        "action": action,
        "allow_label": _text(message, "allow_label", LABEL_MAX),
        "deny_label": _text(message, "deny_label", LABEL_MAX),
        "timeout": _timeout(message),
        "danger": _bool(message, "danger"),
    }


def validate_choose(message: Fields) -> Fields:
    _check_names(message, {"title", "message", "options", "default", "timeout"})
    options = message.get("options")
    if not isinstance(options, list) or not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise BadRequest(
            f"field 'options' is required: a list of {OPTIONS_MIN} to {OPTIONS_MAX} "
            '{"id", "label"} objects'
        )
    checked: list[tuple[str, str]] = []
    for index, option in enumerate(options):
        where = f"options[{index}]"
        if not isinstance(option, dict) or set(option) != {"id", "label"}:
            raise BadRequest(f'field {where!r} must be an object with exactly "id" and "label"')
        option_id, label = option["id"], option["label"]
        if not isinstance(option_id, str) or not 1 <= len(option_id) <= OPTION_ID_MAX:
            raise BadRequest(
                f"field '{where}.id' must be a string of 1 to {OPTION_ID_MAX} characters"
            )
        if not isinstance(label, str) or not label.strip() or len(label) > OPTION_LABEL_MAX:
            raise BadRequest(
                f"field '{where}.label' must be a string of 1 to {OPTION_LABEL_MAX} characters"
            )
        if any(option_id == seen for seen, _ in checked):
            raise BadRequest(f"field '{where}.id' repeats the id {option_id[:100]!r}")
        checked.append((option_id, label))
    default = message.get("default")
    if "default" in message and default is not None and default not in [i for i, _ in checked]:
        raise BadRequest("field 'default' must be the id of one of the options")
    return {
        "title": _text(message, "title", TITLE_MAX, required=True),
        "message": _text(message, "message", MESSAGE_MAX),
        "options": checked,
        "default": default,
        "timeout": _timeout(message),
    }


def validate_prompt(message: Fields) -> Fields:
    _check_names(
        message,
        {"title", "message", "placeholder", "default", "secret", "max_length", "timeout"},
    )
    max_length = message.get("max_length", MAX_LENGTH_DEFAULT)
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or not 1 <= max_length <= MAX_LENGTH_LIMIT
    ):
        raise BadRequest(f"field 'max_length' must be an integer from 1 to {MAX_LENGTH_LIMIT}")
    return {
        "title": _text(message, "title", TITLE_MAX, required=True),
        "message": _text(message, "message", MESSAGE_MAX),
        "placeholder": _text(message, "placeholder", PLACEHOLDER_MAX),
        "default": _text(message, "default", max_length),
        "secret": _bool(message, "secret"),
        "max_length": max_length,
        "timeout": _timeout(message),
    }


def validate_notify(message: Fields) -> Fields:
    _check_names(message, {"title", "message"})
    return {
        "title": _text(message, "title", TITLE_MAX, required=True),
        "message": _text(message, "message", MESSAGE_MAX),
    }


def validate_cancel(message: Fields) -> Fields:
    _check_names(message, {"target"})
    target = message.get("target")
    if protocol.request_id({"id": target}) is None:
        raise BadRequest(
            f"field 'target' is required: the id (a string of at most {protocol.MAX_ID_LENGTH}"
            " characters, or an integer) of an earlier request"
        )
    return {"target": target}


VALIDATORS: dict[str, Callable[[Fields], Fields]] = {
    "confirm": validate_confirm,
    "choose": validate_choose,
    "prompt": validate_prompt,
    "notify": validate_notify,
    "cancel": validate_cancel,
}
