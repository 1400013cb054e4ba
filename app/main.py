"""The composition root: builds the app's parts and connects them. Nothing else wires."""

from __future__ import annotations

import json
import logging
import logging.handlers
import signal
import socket
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtWidgets import QApplication

from app import __version__
from app.commands.decisions import control_handlers as prompt_controls
from app.core.activity import ActivityLog
from app.core.decisions import DecisionStore
from app.core.dispatch import Caller, Dispatcher
from app.core.handlers.basics import StatusSource, register_basics
from app.core.handlers.secrets import register_secrets
from app.core.prompts import Answer, Presenter
from app.core.queue import PromptQueue, UnattendedPresenter, register_prompts
from app.qt.server import Connection, ListenError, SocketServer
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.system import folders
from app.system.instance import AppNotRunning, InstanceLock, control
from app.system.keychain import Keychain
from host import protocol

log = logging.getLogger("bridgekeeper")

ControlHandler = Callable[[dict[str, Any]], dict[str, Any]]


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
    """The running app: the socket, the request table and the control commands."""

    def __init__(
        self,
        is_allowed: Callable[[Caller], bool] = lambda _caller: True,
        presenter: Presenter | None = None,
        notify: Callable[[str, str], bool] = lambda _title, _message: False,
        names: Callable[[Caller], str] = lambda _caller: "",
    ) -> None:
        """``presenter`` shows the dialogs and answers through ``self.queue.answer`` (build
        it with ``lambda key, answer: bridgekeeper.queue.answer(key, answer)``); without
        one, prompts wait for their timeout. ``notify(title, message)`` shows a tray
        notification; ``names(caller)`` is the extension's install-time name."""
        super().__init__()
        self.status = StatusSource()
        self.dispatcher = Dispatcher(is_allowed)
        register_basics(self.dispatcher, self.status)
        self.decisions = DecisionStore(folders.data_dir())
        self.activity = ActivityLog()
        self.queue = PromptQueue(
            presenter or UnattendedPresenter(),
            QtScheduler(self),
            self.decisions,
            self.activity,
            names=names,
        )
        register_prompts(self.dispatcher, self.queue, self.activity, notify, names)
        self.blocking = ThreadRunner(self)  # keychain calls may block (an unlock prompt)
        register_secrets(self.dispatcher, self.queue, Keychain(), self.blocking, names)
        self.status.paused = lambda: self.queue.paused
        self.status.pending = lambda: self.queue.pending
        self.controls: dict[str, ControlHandler] = {
            "ping": lambda _message: {"ok": True, "version": __version__},
            **prompt_controls(self.queue, self.decisions),
        }
        self.server = SocketServer(folders.socket_path(), self)

    def start(self) -> None:
        self.decisions.load()
        folders.runtime_dir()
        self.server.listen()

    def stop(self) -> None:
        self.server.close()
        self.blocking.close()

    def answer_now(self, connection: Connection, seq: int, payload: bytes) -> bool:
        return connection.role == "host" and self.dispatcher.answer_now(connection, seq, payload)

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> None:
        if connection.role == "control":
            connection.send_reply(seq, protocol.encode_json(self._control(payload)))
        else:
            self.dispatcher.handle(connection, seq, payload)

    def on_closed(self, connection: Connection) -> None:
        if connection.role == "host":
            self.dispatcher.client_gone(connection)

    def _control(self, payload: bytes) -> dict[str, Any]:
        try:
            message = json.loads(payload)
            handler = self.controls[message["command"]]
            return handler(message)
        except (ValueError, KeyError, TypeError) as error:
            return {"ok": False, "error": f"bad command: {error}"}
        except Exception:
            log.exception("control command failed")
            return {"ok": False, "error": "the command failed; see the log"}


class SignalWatcher(QObject):
    """Quits the event loop on SIGTERM or SIGINT, without a polling timer."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: None)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signal)

    def _on_signal(self) -> None:
        self._reader.recv(64)
        log.info("signal received; quitting")
        self._app.quit()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(-1)
        self._reader.close()
        self._writer.close()


def run() -> int:
    """Start the tray app, or hand over to the one already running."""
    setup_logging()
    lock = InstanceLock()
    if not lock.acquire():
        try:
            control("show")
        except AppNotRunning as error:
            log.error("another Bridgekeeper holds the lock but does not answer: %s", error)
            return 1
        log.info("Bridgekeeper is already running; handed over to it")
        return 0
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Bridgekeeper")
    qapp.setApplicationVersion(__version__)
    qapp.setQuitOnLastWindowClosed(False)
    signals = SignalWatcher(qapp)
    from app.integration.install import repair_at_start
    from app.system import autostart
    from app.system.settings import AllowList
    from app.ui.dialogs import DialogPresenter
    from app.ui.integration_menu import build_integration_menu
    from app.ui.tray import Tray

    allow_list = AllowList()  # callers not in the settings get untrusted_extension
    tray: Tray | None = None

    def notify(title: str, message: str) -> bool:
        return tray is not None and tray.notify(title, message)

    def answer(key: int, choice: Answer) -> None:  # the queue exists once Bridgekeeper does
        bridgekeeper.queue.answer(key, choice)

    def report(problem: str) -> None:
        notify("Remembered decisions", problem)

    presenter = DialogPresenter(answer, notify)
    bridgekeeper = Bridgekeeper(
        is_allowed=allow_list.is_allowed, presenter=presenter, notify=notify, names=allow_list.names
    )
    tray = Tray(
        bridgekeeper.queue,
        bridgekeeper.decisions,
        bridgekeeper.activity,
        autostart.for_platform(),
        build_integration_menu,
    )
    bridgekeeper.decisions.on_problem(report)
    try:
        try:
            bridgekeeper.start()
        except ListenError as error:
            log.error("%s; Bridgekeeper cannot serve browsers and stops", error)
            print(f"bridgekeeper: {error}", file=sys.stderr)
            return 1
        repair_at_start()  # a few ms; after listen(), so hosts started meanwhile get through
        log.info("Bridgekeeper %s started", __version__)
        return qapp.exec()
    finally:
        tray.close()
        bridgekeeper.stop()
        signals.close()
        lock.release()
        log.info("Bridgekeeper stopped")
