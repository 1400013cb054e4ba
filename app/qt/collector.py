"""Python's cyclic garbage collection, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a generation's threshold
is crossed: in this app, often the socket thread or the keychain worker. A reference cycle
that holds a Qt object (a window whose slot closes over its owner, a dialog's lambda) is
then destroyed on that thread, and PySide deletes a widget outside the GUI thread, which
crashes the app. So automatic collection is turned off and a timer on the GUI thread
collects, by the same thresholds, what the interpreter would have collected (the pattern
of pyqtgraph's ``GarbageCollector``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
"""How often the GUI thread looks at the allocation counts. Garbage waits at most this
long; cycles are rare in this app, and the counts are cheap to read."""


class GuiThreadCollector(QObject):
    """While alive and started, collect cycles on this (the GUI) thread only."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Back to the interpreter's own collection (as it was before ``start``)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the oldest generation whose count is over its threshold, as the
        interpreter does when it allocates."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if self._thresholds[generation] and counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return
