"""Runs blocking calls (the keychain) in a worker thread and hands their result back on
the GUI thread, so an unlock prompt or a slow D-Bus never freezes the dialogs.

Implements ``app.core.blocking.BlockingRunner``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.core.blocking import BlockingTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Job:
    def __init__(
        self,
        work: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.work = work
        self.on_result = on_result
        self.on_error = on_error
        self.settled = False
        self.timer: QTimer | None = None


class ThreadRunner(QObject):
    """One worker thread, jobs in submission order (one unlock prompt at a time).

    The thread is a daemon: a call stuck in an unlock prompt never keeps the app from
    quitting."""

    _finished = Signal(object, object, object)
    """(job, result, error) from the worker, delivered queued on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._loop, name="bk-blocking", daemon=True)
        self._thread.start()

    def run(
        self,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
        timeout: float,
    ) -> None:
        """Call ``work()`` in the worker; then, on this (GUI) thread, exactly one of
        ``on_result(value)``, ``on_error(exception)``, or after ``timeout`` seconds
        ``on_error(BlockingTimeout(...))``."""
        job = _Job(work, on_result, on_error)
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self._expire(job, timeout))
        timer.start(round(timeout * 1000))
        job.timer = timer
        self._jobs.put(job)

    def close(self) -> None:
        """Stop taking jobs; the worker ends after the one it runs, if any."""
        self._jobs.put(None)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            result: Any = None
            error: Exception | None = None
            try:
                result = job.work()
            except Exception as failure:
                error = failure
            try:
                self._finished.emit(job, result, error)
            except RuntimeError:
                return  # the runner is gone (the app is quitting)

    def _deliver(self, job: _Job, result: Any, error: Exception | None) -> None:
        if job.settled:
            log.info("a blocking call finished after its timeout; its result is dropped")
            return
        self._settle(job)
        try:
            if error is None:
                job.on_result(result)
            else:
                job.on_error(error)
        except Exception:
            log.exception("handling the result of a blocking call failed")

    def _expire(self, job: _Job, timeout: float) -> None:
        if job.settled:
            return
        self._settle(job)
        try:
            job.on_error(BlockingTimeout(f"no answer within {timeout:g} s"))
        except Exception:
            log.exception("handling a blocking call's timeout failed")

    def _settle(self, job: _Job) -> None:
        job.settled = True
        if job.timer is not None:
            job.timer.stop()
            job.timer.deleteLater()
            job.timer = None
