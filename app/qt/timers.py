"""The ``Scheduler`` of the running app: single-shot ``QTimer``s on the GUI thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)

MAX_TIMER_MS = 2**31 - 1
"""QTimer takes a signed 32-bit interval; longer waits are clamped (about 24 days)."""


class QtHandle:
    def __init__(self, timer: QTimer) -> None:
        self._timer: QTimer | None = timer

    def cancel(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def _fired(self) -> None:
        self._timer = None


class QtScheduler:
    """Each ``call_later`` is one precise single-shot timer; nothing ticks while idle."""

    def __init__(self, parent: QObject | None = None) -> None:
        self._parent = parent

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> QtHandle:
        timer = QTimer(self._parent)
        timer.setSingleShot(True)
        # Coarse timers may fire 5% late: a 600 s timeout would end 30 s after its deadline.
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        handle = QtHandle(timer)

        def fire() -> None:
            handle._fired()
            timer.deleteLater()
            try:
                fn()
            except Exception:
                # A slot never raises into Qt.
                log.exception("scheduled callback failed")

        timer.timeout.connect(fire)
        timer.start(max(0, min(MAX_TIMER_MS, round(seconds * 1000))))
        return handle
