"""The composition root: builds the app's parts and connects them; nothing else happens
here. ``Bridgekeeper`` is the app without widgets (what tests and benchmarks run in
process); ``run`` adds the tray, the dialogs and the event loop."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QApplication

from app import __version__
from app.core.activity import ActivityLog
from app.core.control import ControlTable, register_app_controls
from app.core.decisions import DecisionStore
from app.core.dispatch import Dispatcher
from app.core.handlers.basics import register_basics
from app.core.handlers.prompts import register_prompts
from app.core.handlers.secrets import register_secrets
from app.core.prompts import Presenter
from app.core.queue import Locks, PromptQueue, UnattendedPresenter
from app.core.router import BrowserLabel, Router
from app.qt.server import ListenError, SocketServer
from app.qt.signals import SignalWatcher
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.system import folders
from app.system.instance import AppNotRunning, ControlFailed, InstanceLock, control
from app.system.keychain import Keychain
from host.caller import Caller
from host.transport import SocketPathError

if TYPE_CHECKING:
    from app.ui.dialogs import DialogPresenter
    from app.ui.tray import Tray, TrayIcon

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


class Bridgekeeper(QObject):
    """The running app without its widgets: the socket, the router, the request table, the
    prompt queue, remembered decisions, activity and the keychain, built and connected.

    ``presenter`` shows the dialogs (connect its answers to ``queue.answer``); without
    one, prompts wait for their timeout. ``notify(title, message)`` shows a tray
    notification; ``names(caller)`` is the extension's install-time name;
    ``browser_label`` names the browser that started a host; ``locks`` what the system
    policy locks (asked at each use, so an administrator's edit applies at once)."""

    def __init__(
        self,
        is_allowed: Callable[[Caller], bool] = lambda _caller: True,
        presenter: Presenter | None = None,
        notify: Callable[[str, str], bool] = lambda _title, _message: False,
        names: Callable[[Caller], str] = lambda _caller: "",
        browser_label: BrowserLabel = lambda _executable, _family: "",
        *,
        locks: Callable[[], Locks] = Locks,
    ) -> None:
        super().__init__()  # the parent of its timers and worker
        self.decisions = DecisionStore(folders.data_dir())
        self.activity = ActivityLog()
        self.scheduler = QtScheduler(self)
        self.queue = PromptQueue(
            presenter or UnattendedPresenter(),
            self.scheduler,
            self.decisions,
            self.activity,
            names=names,
            locks=locks,
        )
        self.dispatcher = Dispatcher(is_allowed)
        register_basics(self.dispatcher, self.queue, __version__)
        register_prompts(self.dispatcher, self.queue, self.activity, notify, names)
        self.worker = ThreadRunner(self)  # keychain calls may block (an unlock prompt)
        register_secrets(self.dispatcher, self.queue, Keychain(), self.worker, names)
        self.controls = ControlTable()
        register_app_controls(self.controls, __version__, self.queue, self.decisions)
        self.router = Router(self.dispatcher, self.controls, browser_label)
        self.router.closed.add(self.queue.client_gone)
        self.server = SocketServer(folders.socket_path(), self.router)
        self.controls.register("flatpaks", lambda _message: self.serve_flatpaks())

    def start(self) -> None:
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

    def stop(self) -> None:
        self.server.close()
        self.worker.close()


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
    try:
        return _run_desktop()
    finally:
        lock.release()
        log.info("Bridgekeeper stopped")


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
    """Build the app with its tray and dialogs, connect them, and run the event loop."""
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Bridgekeeper")
    qapp.setApplicationVersion(__version__)
    qapp.setQuitOnLastWindowClosed(False)
    signals = SignalWatcher(qapp)
    from app.ui.i18n import install_translations

    install_translations(qapp)  # before any window is built: their texts are read then
    from app.integration.browsers import browser_label
    from app.integration.install import repair_at_start
    from app.system import autostart
    from app.system.policy import PolicyWatch
    from app.system.settings import AllowList
    from app.ui.dialogs import DialogPresenter
    from app.ui.integration_menu import build_integration_menu
    from app.ui.tray import Tray, TrayIcon

    managed = PolicyWatch()  # the administrator's policy, re-read when its file changes
    allow_list = AllowList(managed=managed)  # other callers get untrusted_extension
    icon = TrayIcon()
    presenter = DialogPresenter()
    bridgekeeper = Bridgekeeper(
        is_allowed=allow_list.is_allowed,
        presenter=presenter,
        notify=icon.notify,
        names=allow_list.names,
        browser_label=browser_label,
        locks=managed.locks,
    )
    # Reading the browsers' profiles has a worker of its own: it must not wait behind a
    # keychain call stuck in an unlock prompt.
    profile_reader = ThreadRunner(bridgekeeper)
    tray = Tray(
        bridgekeeper.queue,
        bridgekeeper.decisions,
        bridgekeeper.activity,
        autostart.for_platform(),
        profile_reader,
        integration_menu=build_integration_menu,
        names=lambda family, ident: allow_list.names(Caller(family, ident)),
    )
    _connect_desktop(bridgekeeper, presenter, tray, icon)
    tray.refresh()
    try:
        try:
            bridgekeeper.start()
        except ListenError as error:
            log.error("%s; Bridgekeeper cannot serve browsers and stops", error)
            print(f"bridgekeeper: {error}", file=sys.stderr)
            return 1
        repair_at_start()  # a few ms; after listen(), so hosts started meanwhile get through
        bridgekeeper.serve_flatpaks()  # after the repair, which serves new Flatpaks
        log.info("Bridgekeeper %s started", __version__)
        return qapp.exec()
    finally:
        tray.close()
        icon.close()
        profile_reader.close()
        bridgekeeper.stop()
        signals.close()


def _connect_desktop(
    bridgekeeper: Bridgekeeper, presenter: DialogPresenter, tray: Tray, icon: TrayIcon
) -> None:
    """The dialogs, the tray and its icon, wired to the core and to one another."""
    icon.set_menu(tray.menu)
    presenter.pending = bridgekeeper.queue.prompts
    presenter.answered.connect(bridgekeeper.queue.answer)
    presenter.deny_all.connect(bridgekeeper.queue.deny_all_from)
    presenter.unfocused.connect(icon.notify)
    bridgekeeper.queue.changed.add(tray.refresh)
    bridgekeeper.decisions.problems.add(
        lambda problem: icon.notify(
            QCoreApplication.translate("Tray", "Remembered decisions"), problem
        )
    )
    tray.state_changed.connect(icon.show_state)
    from app.ui.integration_menu import IntegrationMenu

    if isinstance(tray.integration_menu, IntegrationMenu):  # it may have served a Flatpak
        tray.integration_menu.finished.connect(lambda _summary: bridgekeeper.serve_flatpaks())
    tray.notice.connect(icon.notify)
    icon.clicked.connect(tray.show_waiting)
    icon.message_clicked.connect(tray.show_waiting)
