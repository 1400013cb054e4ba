"""Listener lists: how core objects tell whoever is interested that something happened.

Every list isolates its listeners the same way: one that raises is logged and the others
still hear, and the code that emitted goes on (a reply is never lost to a listener).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, ParamSpec

log = logging.getLogger(__name__)

P = ParamSpec("P")


class Listeners(Generic[P]):
    """Callables that hear an event, in the order they were added."""

    def __init__(self, event: str) -> None:
        self._event = event
        self._listeners: list[Callable[P, object]] = []

    def add(self, listener: Callable[P, object]) -> None:
        """Call ``listener`` on each event (what it returns is ignored)."""
        self._listeners.append(listener)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in list(self._listeners):
            try:
                listener(*args, **kwargs)
            except Exception:
                log.exception("a listener of %s failed", self._event)
