"""The recent requests and how each ended, in memory only, for the tray's Activity window.

Entries carry who asked, the request type, its title and the outcome; never a value the
user typed or a secret: callers pass only the fields below.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from app.core.listeners import Listeners

ACTIVITY_LIMIT = 200


@dataclass(frozen=True)
class ActivityEntry:
    time: float
    """Unix time the request ended."""
    browser: str
    extension_id: str
    extension_name: str
    type: str
    title: str
    outcome: str
    """What happened: ``allow``, ``deny``, ``submit``, ``cancel``, ``cancelled``, ``busy``,
    ``shown``, ``not shown``."""
    reason: str = ""
    """Why (``user``, ``remembered``, ``timeout``, ``paused``, ``closed``), or ""."""
    family: str = ""
    """The browser family, from host data."""
    site: str = ""
    """The site the request named (the extension's claim), or ""."""


class ActivityLog:
    """The last ``limit`` entries, oldest first; ``recorded`` hear each new one."""

    def __init__(self, limit: int = ACTIVITY_LIMIT) -> None:
        self._entries: deque[ActivityEntry] = deque(maxlen=limit)
        self.recorded: Listeners[[ActivityEntry]] = Listeners("the activity log")

    def record(
        self,
        *,
        browser: str,
        extension_id: str,
        extension_name: str,
        type: str,
        title: str,
        outcome: str,
        reason: str = "",
        family: str = "",
        site: str = "",
    ) -> ActivityEntry:
        entry = ActivityEntry(
            time.time(),
            browser,
            extension_id,
            extension_name,
            type,
            title,
            outcome,
            reason,
            family,
            site,
        )
        self._entries.append(entry)
        self.recorded.emit(entry)
        return entry

    def entries(self) -> list[ActivityEntry]:
        return list(self._entries)
