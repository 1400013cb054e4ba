"""Runs blocking calls (the keychain) in a worker thread and hands their result back on
the GUI thread, so an unlock prompt or a slow D-Bus never freezes the dialogs.

Implements ``app.core.blocking.BlockingRunner``.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from app.core.blocking import BlockingTimeout
from app.qt.wake import WakePipe

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Job:
    """A blocking call and what to do with its outcome; only the GUI thread touches it."""

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


_Done = tuple[int, Any, Exception | None]


def _work(
    jobs: queue.SimpleQueue[tuple[int, Callable[[], Any]] | None],
    done: queue.SimpleQueue[_Done],
    wake: WakePipe,
) -> None:
    """The worker thread. It holds no Qt object and never the last reference to one: a
    Qt object whose last reference goes on another thread is deleted later on the GUI
    thread by PySide, which crashed it (a job's callbacks, the runner itself)."""
    while (item := jobs.get()) is not None:
        number, work = item
        del item
        result: Any = None
        error: Exception | None = None
        try:
            result = work()
        except Exception as failure:
            # The traceback's frames would keep the call's locals alive on this thread.
            error = failure.with_traceback(None)
        del work  # the GUI thread's _Job still holds it
        done.put((number, result, error))
        del result, error
        wake.wake()


class ThreadRunner(QObject):
    """One worker thread, jobs in submission order (one unlock prompt at a time).

    The thread is a daemon: a call stuck in an unlock prompt never keeps the app from
    quitting. Results come back through a queue and a wake-up pipe the GUI thread
    watches."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: queue.SimpleQueue[tuple[int, Callable[[], Any]] | None]
        self._jobs = queue.SimpleQueue()
        self._done: queue.SimpleQueue[_Done] = queue.SimpleQueue()
        self._waiting: dict[int, _Job] = {}
        self._numbers = itertools.count(1)
        self._wake = WakePipe()
        self._notifier = QSocketNotifier(self._wake.read_fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._deliver_all)
        self._thread = threading.Thread(
            target=_work, args=(self._jobs, self._done, self._wake), name="bk-blocking", daemon=True
        )
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
        ``on_error(BlockingTimeout(...))``. ``work`` returns plain data, not Qt objects."""
        job = _Job(work, on_result, on_error)
        # Qt owns this timer (no Python wrapper to delete, none left behind when the
        # runner goes): once the job is settled, its firing does nothing.
        QTimer.singleShot(round(timeout * 1000), self, lambda: self._expire(job, timeout))
        number = next(self._numbers)
        self._waiting[number] = job
        self._jobs.put((number, work))

    def close(self, wait: float = 1.0) -> None:
        """Stop taking jobs; the worker ends after the one it runs, if any. Its wake-up
        pipe is closed when it has ended within ``wait`` seconds; one stuck in a call (an
        unlock prompt) keeps it, since it may still write to it."""
        self._notifier.setEnabled(False)
        self._jobs.put(None)
        self._thread.join(timeout=wait)
        if not self._thread.is_alive():
            self._wake.close()

    def _deliver_all(self) -> None:
        self._wake.drain()
        while True:
            try:
                number, result, error = self._done.get_nowait()
            except queue.Empty:
                return
            job = self._waiting.pop(number)
            self._deliver(job, result, error)

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

    @staticmethod
    def _settle(job: _Job) -> None:
        job.settled = True
