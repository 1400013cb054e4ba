"""The composition root: builds the app's parts and connects them; nothing else happens
here. ``Bridgekeeper`` is the app without widgets (what tests and benchmarks run in
process); ``run`` adds the tray, the dialogs and the event loop.

The start is in two steps, so that a browser's first call after login is answered soon:
the core is plain Python and listens before Qt is even loaded (the socket thread answers
a ping, a malformed or an untrusted request at once); what needs the GUI thread waits in
arrival order until Qt is up and the dialogs can be shown. Nothing in the first step
imports Qt; the tray's menu is built once the first work has been handed out.
"""

from __future__ import annotations

import logging
import logging.handlers
import signal
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from app import __version__
from app.core.activity import ActivityLog
from app.core.blocking import BlockingRunner
from app.core.control import ControlTable, register_app_controls
from app.core.decisions import DecisionStore
from app.core.dispatch import Dispatcher
from app.core.handlers.basics import register_basics
from app.core.handlers.prompts import register_prompts
from app.core.handlers.secrets import register_secrets
from app.core.prompts import Presenter
from app.core.queue import Locks, PromptQueue, UnattendedPresenter
from app.core.router import BrowserLabel, Router
from app.core.scheduler import Handle, Scheduler
from app.qt.server import ListenError, SocketServer
from app.system import folders
from app.system.instance import AppNotRunning, ControlFailed, InstanceLock, control
from app.system.keychain import Keychain
from host.caller import Caller
from host.transport import SocketPathError

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from app.qt.worker import ThreadRunner
    from app.system.settings import AllowList
    from app.ui.dialogs import DialogPresenter
    from app.ui.tray import Tray, TrayIcon

T = TypeVar("T")

TRAY_AFTER_MS = 500
"""The tray is built once the first dialog is painted, or after this at the latest."""

log = logging.getLogger("bridgekeeper")


def setup_logging() -> None:
    """Log to the log folder and to stderr; uncaught exceptions are logged, not lost."""
    root = logging.getLogger()
    if root.handlers:
        return
    root.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        folders.log_dir() / "bridgekeeper.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    stderr_handler = logging.StreamHandler(sys.stderr)
    for handler in (file_handler, stderr_handler):
        handler.setFormatter(formatter)
        root.addHandler(handler)

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        log.critical("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = excepthook


class GuiScheduler:
    """The core's ``Scheduler``: Qt's timers (``app.qt.timers``), once ``attach`` has
    them. Only work on the GUI thread sets a timer, and that work waits until then."""

    def __init__(self) -> None:
        self._qt: Scheduler | None = None

    def attach(self, scheduler: Scheduler) -> None:
        self._qt = scheduler

    def now(self) -> float:
        return time.monotonic() if self._qt is None else self._qt.now()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Handle:
        if self._qt is None:
            raise RuntimeError("a timer was asked for before the GUI thread was up")
        return self._qt.call_later(seconds, fn)


class GuiRunner:
    """The core's ``BlockingRunner``: the keychain's worker (``app.qt.worker``), once
    ``attach`` has it. Only work on the GUI thread runs a blocking call, and that work
    waits until then."""

    def __init__(self) -> None:
        self._qt: BlockingRunner | None = None

    def attach(self, runner: BlockingRunner) -> None:
        self._qt = runner

    def run(
        self,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
        timeout: float,
    ) -> None:
        if self._qt is None:
            raise RuntimeError("a blocking call was asked for before the GUI thread was up")
        self._qt.run(work, on_result, on_error, timeout)


class Bridgekeeper:
    """The running app without its widgets: the socket, the router, the request table, the
    prompt queue, remembered decisions, activity and the keychain, built and connected.

    Plain Python until ``serve_gui``: ``listen`` needs no Qt, and the socket thread
    answers what it can meanwhile. ``serve_gui(presenter, notify)``, on the GUI thread
    once Qt is up, gives the core its timers, the keychain's worker, the dialogs and the
    tray's notifications, and hands it the work that waited. Without a presenter,
    prompts wait for their timeout; without ``notify`` none is shown. ``names(caller)``
    is the extension's install-time name; ``browser_label`` names the browser that
    started a host; ``locks`` what the system policy locks (asked at each use, so an
    administrator's edit applies at once)."""

    def __init__(
        self,
        is_allowed: Callable[[Caller], bool] = lambda _caller: True,
        names: Callable[[Caller], str] = lambda _caller: "",
        browser_label: BrowserLabel = lambda _executable, _family: "",
        *,
        locks: Callable[[], Locks] = Locks,
    ) -> None:
        self.decisions = DecisionStore(folders.data_dir())
        self.activity = ActivityLog()
        self.scheduler = GuiScheduler()
        self.worker = GuiRunner()  # keychain calls may block (an unlock prompt)
        self._notify: Callable[[str, str], bool] = lambda _title, _message: False
        self.queue = PromptQueue(
            UnattendedPresenter(),
            self.scheduler,
            self.decisions,
            self.activity,
            names=names,
            locks=locks,
        )
        self.dispatcher = Dispatcher(is_allowed)
        register_basics(self.dispatcher, self.queue, __version__)
        register_prompts(
            self.dispatcher,
            self.queue,
            self.activity,
            self.notify,
            names,
        )
        register_secrets(self.dispatcher, self.queue, Keychain(), self.worker, names)
        self.controls = ControlTable()
        register_app_controls(self.controls, __version__, self.queue, self.decisions)
        self.router = Router(self.dispatcher, self.controls, browser_label)
        self.router.closed.add(self.queue.client_gone)
        self.server = SocketServer(folders.socket_path(), self.router)
        self.controls.register("flatpaks", lambda _message: self.serve_flatpaks())
        self._owner: QObject | None = None
        self._worker: ThreadRunner | None = None

    def notify(self, title: str, message: str) -> bool:
        """A tray notification (``serve_gui`` gives the tray's); whether it was shown."""
        return self._notify(title, message)

    def listen(self) -> None:
        """Load what requests depend on (remembered decisions), then listen. No Qt."""
        self.decisions.load()
        folders.runtime_dir()
        self.server.listen()

    def serve_flatpaks(self) -> dict[str, Any]:
        """Listen where each Flatpak browser ``install`` served can reach the app (its
        sandbox's runtime folder), and no longer where none is: at start, and when
        ``install``, ``uninstall`` (the ``flatpaks`` command) or the tray's integration
        menu have changed what is served. What it listens on, and what it could not."""
        from app.integration.install import current_machine, served_flatpaks

        try:
            wanted = served_flatpaks(current_machine())
        except OSError as error:
            log.warning("cannot look for Flatpak browsers: %s", error)
            return {"listening": self.server.sandbox_sockets(), "problems": {}}
        problems = self.server.serve_sandboxes(wanted)
        return {"listening": self.server.sandbox_sockets(), "problems": problems}

    def serve_gui(
        self,
        presenter: Presenter | None = None,
        notify: Callable[[str, str], bool] | None = None,
    ) -> None:
        """On the GUI thread, with Qt up: the core's Qt parts, then the work, what waited
        first."""
        from PySide6.QtCore import QObject

        from app.qt.timers import QtScheduler
        from app.qt.worker import ThreadRunner

        self._owner = QObject()  # the parent of the timers and the worker
        self._worker = ThreadRunner(self._owner)
        self.scheduler.attach(QtScheduler(self._owner))
        self.worker.attach(self._worker)
        if presenter is not None:
            self.queue.presenter = presenter
        if notify is not None:
            self._notify = notify
        self.server.serve_gui_thread()

    def start(self) -> None:
        """``listen``, then ``serve_gui`` without dialogs (tests and benchmarks, with a
        ``QApplication``)."""
        self.listen()
        self.serve_gui()

    def stop(self) -> None:
        self.server.close()
        if self._worker is not None:
            self._worker.close()


def run() -> int:
    """Start the tray app, or hand over to the one already running."""
    lock = InstanceLock()
    try:
        for folder in (folders.config_dir, folders.data_dir, folders.log_dir, folders.runtime_dir):
            folder()
        setup_logging()
        held = lock.acquire()
    except (OSError, folders.FolderError, SocketPathError) as error:
        print(f"bridgekeeper: {start_problem(error)}", file=sys.stderr)
        return 1
    if not held:
        try:
            control("show")
        except (AppNotRunning, ControlFailed) as error:
            log.error("another Bridgekeeper holds the lock but does not answer: %s", error)
            return 1
        log.info("Bridgekeeper is already running; handed over to it")
        return 0
    # Until Qt's event loop watches them (SignalWatcher), SIGTERM and SIGINT are noted,
    # and the app quits as from the loop (the socket removed, the lock released) before
    # the loop starts. Raising from the handler instead could stop PySide half-loaded.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _note_signal)
    try:
        return _run_desktop()
    finally:
        lock.release()
        log.info("Bridgekeeper stopped")


_SIGNALLED: list[int] = []
"""The signals received before the event loop ran (``_note_signal``)."""


def _note_signal(signum: int, _frame: object) -> None:
    _SIGNALLED.append(signum)


def _quit_requested(where: str) -> bool:
    if _SIGNALLED:
        log.info("signal %d received %s; quitting", _SIGNALLED[0], where)
    return bool(_SIGNALLED)


def start_problem(error: Exception) -> str:
    """What keeps the app from starting, and what to do, for the folders it needs."""
    if isinstance(error, SocketPathError):
        return f"cannot use the socket folder: {error}"
    if isinstance(error, OSError) and error.filename:
        return (
            f"cannot create or open {error.filename}: {error.strerror}. Bridgekeeper keeps "
            "its settings, remembered decisions, log and socket in folders of yours that it "
            "can write: check that your home folder is writable, or set BRIDGEKEEPER_HOME to "
            "a folder that is"
        )
    return str(error)


def _run_desktop() -> int:
    """Listen, then bring up Qt, the dialogs and the tray, and run the event loop."""
    from app.integration.browsers import browser_label
    from app.system.policy import PolicyWatch
    from app.system.settings import AllowList

    managed = PolicyWatch()  # the administrator's policy, re-read when its file changes
    allow_list = AllowList(managed=managed)  # other callers get untrusted_extension
    bridgekeeper = Bridgekeeper(
        is_allowed=allow_list.is_allowed,
        names=allow_list.names,
        browser_label=browser_label,
        locks=managed.locks,
    )
    try:
        try:
            bridgekeeper.listen()
        except ListenError as error:
            log.error("%s; Bridgekeeper cannot serve browsers and stops", error)
            print(f"bridgekeeper: {error}", file=sys.stderr)
            return 1
        if _quit_requested("before the desktop was started"):
            return 0
        log.info("listening; starting the desktop")
        return _run_gui(bridgekeeper, allow_list)
    finally:
        bridgekeeper.stop()


def _run_gui(bridgekeeper: Bridgekeeper, allow_list: AllowList) -> int:
    """Qt and the dialogs, then the work that waited; the tray once that work is on its
    way (a dialog painted first)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.qt.collector import GuiThreadCollector
    from app.qt.signals import SignalWatcher
    from app.ui.i18n import install_translations

    bundled_qt_conf()
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Bridgekeeper")
    qapp.setApplicationVersion(__version__)
    qapp.setQuitOnLastWindowClosed(False)
    signals = SignalWatcher(qapp)
    # From here on Qt objects exist: cycles holding them are collected on this thread only.
    collector = GuiThreadCollector(qapp)
    collector.start()
    install_translations(qapp)  # before any window is built: their texts are read then
    from app.ui.dialogs import DialogPresenter

    desktop = _Desktop(bridgekeeper, allow_list)
    presenter = DialogPresenter()
    _connect_dialogs(bridgekeeper, presenter, desktop)
    bridgekeeper.serve_gui(presenter, desktop.notify)
    # The tray waits for the dialog the waiting work showed, if any, to be painted (but
    # not for long): built before, it would delay the paint.
    presenter.painted.connect(desktop.build_soon)
    QTimer.singleShot(0 if presenter.dialog is None else TRAY_AFTER_MS, desktop.build)
    try:
        if _quit_requested("while the desktop started"):
            return 0
        return qapp.exec()
    finally:
        desktop.close()
        signals.close()
        collector.stop()


def bundled_qt_conf() -> None:
    """In the bundle, once Qt is loaded: the embedded qt.conf that PyInstaller's run-time
    hook for PySide6 would have checked for at start-up, before the app could listen
    (packaging/hooks/rthooks/pyi_rth_pyside6_lazy.py). PySide6's wheels register it when
    QtCore is imported, so this finds it there; elsewhere, nothing to do."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None:
        return
    import importlib
    import os

    qt_rth_utils = importlib.import_module("_pyi_rth_utils.qt")  # PyInstaller's, bundled
    parts = ("PySide6",) if sys.platform == "win32" else ("PySide6", "Qt")
    qt_rth_utils.create_embedded_qt_conf("PySide6", os.path.join(bundle, *parts))


class _Desktop:
    """The tray (its icon, menu and worker) and the start-up repair of the browsers'
    manifests: built once the first work is on its way, or the icon at the first
    notification if that comes sooner."""

    def __init__(self, bridgekeeper: Bridgekeeper, allow_list: AllowList) -> None:
        self._bridgekeeper = bridgekeeper
        self._allow_list = allow_list
        self._built = False
        self._icon: TrayIcon | None = None
        self._tray: Tray | None = None
        self._profile_reader: ThreadRunner | None = None

    def notify(self, title: str, message: str) -> bool:
        """A tray notification; whether this desktop could show it."""
        return self.icon().notify(title, message)

    def icon(self) -> TrayIcon:
        if self._icon is None:
            from app.ui.tray import TrayIcon

            self._icon = TrayIcon()
        return self._icon

    def build_soon(self) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.build)

    def build(self) -> None:
        if self._built:
            return
        self._built = True
        try:
            self._build()
        except Exception:  # a slot never raises into Qt; requests are still served
            log.exception("building the tray failed")

    def _build(self) -> None:
        from app.integration.install import repair_at_start
        from app.qt.worker import ThreadRunner
        from app.system import autostart
        from app.ui.integration_menu import IntegrationMenu, build_integration_menu
        from app.ui.tray import Tray

        bridgekeeper, allow_list, icon = self._bridgekeeper, self._allow_list, self.icon()
        # Reading the browsers' profiles has a worker of its own: it must not wait behind
        # a keychain call stuck in an unlock prompt.
        self._profile_reader = ThreadRunner()
        tray = self._tray = Tray(
            bridgekeeper.queue,
            bridgekeeper.decisions,
            bridgekeeper.activity,
            autostart.for_platform(),
            self._profile_reader,
            integration_menu=build_integration_menu,
            names=lambda family, ident: allow_list.names(Caller(family, ident)),
        )
        icon.set_menu(tray.menu)
        bridgekeeper.queue.changed.add(tray.refresh)
        tray.state_changed.connect(icon.show_state)
        tray.notice.connect(icon.notify)
        icon.clicked.connect(tray.show_waiting)
        icon.message_clicked.connect(tray.show_waiting)
        if isinstance(tray.integration_menu, IntegrationMenu):  # it may serve a Flatpak
            tray.integration_menu.finished.connect(lambda _summary: bridgekeeper.serve_flatpaks())
        tray.refresh()
        repair_at_start()  # a few ms; hosts started meanwhile got through
        bridgekeeper.serve_flatpaks()  # after the repair, which serves new Flatpaks
        log.info("Bridgekeeper %s started", __version__)

    def close(self) -> None:
        if self._tray is not None:
            self._tray.close()
        if self._icon is not None:
            self._icon.close()
        if self._profile_reader is not None:
            self._profile_reader.close()


def _connect_dialogs(
    bridgekeeper: Bridgekeeper, presenter: DialogPresenter, desktop: _Desktop
) -> None:
    """The dialogs and the tray's notifications, wired to the core."""
    from PySide6.QtCore import QCoreApplication

    presenter.pending = bridgekeeper.queue.prompts
    presenter.answered.connect(bridgekeeper.queue.answer)
    presenter.deny_all.connect(bridgekeeper.queue.deny_all_from)
    presenter.unfocused.connect(desktop.notify)
    bridgekeeper.decisions.problems.add(
        lambda problem: desktop.notify(
            QCoreApplication.translate("Tray", "Remembered decisions"), problem
        )
    )
