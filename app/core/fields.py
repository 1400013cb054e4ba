"""Checks of a request's fields shared by every handler module: unknown fields, strings
with a length limit, booleans, numbers in a range. Each failure is a ``BadRequest`` whose
message names the field."""

from __future__ import annotations

import math
from typing import Any

from app.core.dispatch import BadRequest, Validator

Fields = dict[str, Any]


def check_names(message: Fields, allowed: set[str]) -> None:
    """``BadRequest`` for a field that is not ``type``, ``id`` or one of ``allowed``."""
    for name in message:
        if name not in allowed and name not in ("type", "id"):
            raise BadRequest(f"unknown field {str(name)[:100]!r}")


def only_fields(allowed: set[str]) -> Validator:
    """A validator for requests whose only fields are ``allowed``, taken as they are."""

    def validate(message: Fields) -> Fields:
        check_names(message, allowed)
        return {name: message[name] for name in allowed if name in message}

    return validate


def text(message: Fields, name: str, limit: int, *, required: bool = False) -> str:
    """A string of at most ``limit`` characters ("" when absent and not ``required``; a
    required one must not be only spaces)."""
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


def boolean(message: Fields, name: str) -> bool:
    """``true`` or ``false`` (``false`` when absent)."""
    value = message.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"field {name!r} must be true or false")
    return value


def seconds(message: Fields, name: str, low: float, high: float, default: float) -> float:
    """A finite number of seconds from ``low`` to ``high`` (``default`` when absent)."""
    if name not in message:
        return default
    value = message[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"field {name!r} must be a number of seconds")
    if not low <= value <= high:
        raise BadRequest(f"field {name!r} must be between {low:g} and {high:g}; got {value}")
    return float(value)
