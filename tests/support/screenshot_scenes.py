"""What ``tests/support/screenshots.py`` shows, one function per picture: every dialog
kind (and its states), the tray menu and its submenu, every window. Each builds the real
widget over real core objects, shows it, grabs it and closes it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.prompts import Option, Prompt
from app.core.queue import PromptQueue, UnattendedPresenter
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.ui.dialogs import PromptDialog
from app.ui.tray import Tray

if TYPE_CHECKING:
    from tests.support.screenshots import Shooter

CHROME_ID = "jkdnicfhmapgokpkghnoknfplbgkmjan"
BASE = Prompt(
    key=1,
    kind="confirm",
    browser="Chromium",
    family="chromium",
    extension_id=CHROME_ID,
    extension_name="Bridgekeeper demo",
    title="Allow access to your clipboard?",
    message="example.com wants to read what you copied.",
    site="https://example.com",
)


def prompt(**fields: object) -> Prompt:
    fields.setdefault("deadline", time.monotonic() + 59.5)
    return replace(BASE, **fields)  # type: ignore[arg-type]


def show_dialog(
    shooter: Shooter,
    name: str,
    shown: Prompt,
    *,
    waiting: int = 0,
    same: int = 0,
    armed: bool = True,
    then: Callable[[PromptDialog], None] | None = None,
) -> None:
    dialog = PromptDialog(shown, waiting, lambda _key, _answer: None)
    dialog.set_waiting(waiting, same)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    shooter.settle(0.2)
    if armed:
        dialog._arm()
    if then is not None:
        then(dialog)
    shooter.grab(dialog, name)
    dialog.dismiss()
    shooter.settle(0.1)


SCENES: dict[str, Callable[[Shooter, str], None]] = {}


def scene(function: Callable[[Shooter, str], None]) -> Callable[[Shooter, str], None]:
    SCENES[function.__name__.replace("_", "-")] = function
    return function


@scene
def confirm(shooter: Shooter, name: str) -> None:
    show_dialog(shooter, name, prompt(can_remember=True), armed=False)


@scene
def confirm_remember_locked(shooter: Shooter, name: str) -> None:
    """The administrator's policy turns remembering off: the box shown greyed out."""
    show_dialog(shooter, name, prompt(remember_locked=True), armed=False)


@scene
def confirm_focus_on_allow(shooter: Shooter, name: str) -> None:
    def focus(dialog: PromptDialog) -> None:
        QTest.keyClick(dialog.cancel_button, Qt.Key.Key_Backtab)  # Deny -> Allow

    show_dialog(shooter, name, prompt(), then=focus)


def unfold(dialog: PromptDialog) -> None:
    if dialog.details_button is not None:
        dialog.details_button.setChecked(True)


@scene
def confirm_danger(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(
            title="Send 0.5 ETH to 0xab12…9f?",
            message="The transaction below leaves your wallet at once and cannot be undone.",
            site="https://\u0430pple.com",
            danger=True,
            allow_label="Send 0.5 ETH",
            deny_label="Don't send",
            details="to: 0xab12cd34ef56ab12cd34ef56ab12cd34ef56ab9f\nvalue: 0.5 ETH\n"
            "data: 0xa9059cbb000000000000000000000000ab12cd34ef56ab12cd34ef56ab12cd34ef56ab9f"
            "00000000000000000000000000000000000000000000000006f05b59d3b20000",
        ),
        then=unfold,
    )


@scene
def confirm_queue(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(title="Read the secret “api-token”?", message="", site=""),
        waiting=4,
        same=3,
    )


@scene
def confirm_unknown_browser(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(
            browser="a Firefox-family browser",
            family="firefox",
            extension_id="{446900e4-71c2-419f-a6a7-df9c091e268b}",
            extension_name="",
            title="Sign in as alice@example.org?",
            site="chrome-extension://nngceckbapebfimnlniiiahkandclblb",
        ),
    )


@scene
def confirm_scripts(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(
            title="允许读取剪贴板吗\uff1f 🔐 هل تسمح؟",
            message="扩展想读取您复制的内容。\nيريد الامتداد قراءة ما نسخته. 😀👍🏽\n"
            "invoice\u202egnp.exe",
            site="https://例子.测试",
            allow_label="允许 ✅",
        ),
    )


@scene
def confirm_long(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(
            title="T" * 120 + " long title without spaces",
            message=(("lorem ipsum dolor sit amet " * 12 + "\n") * 12)[:4000],
            site="https://example.com:8443",
        ),
    )


@scene
def choose(shooter: Shooter, name: str) -> None:
    options = tuple(
        Option(f"a{i}", label)
        for i, label in enumerate(
            ["alice@example.org (personal)", "alice@work.example (work)", "Another account…"]
        )
    )
    show_dialog(
        shooter,
        name,
        prompt(kind="choose", title="Sign in with which account?", options=options, default="a1"),
    )


@scene
def choose_twelve(shooter: Shooter, name: str) -> None:
    options = tuple(
        Option(f"o{i}", f"Option {i + 1}: " + "a label that wraps onto a second line " * (i % 3))
        for i in range(12)
    )

    def enter(dialog: PromptDialog) -> None:
        focused = dialog.focusWidget()
        assert focused is not None
        QTest.keyClick(focused, Qt.Key.Key_Down)
        QTest.keyClick(focused, Qt.Key.Key_Return)

    show_dialog(
        shooter,
        name,
        prompt(
            kind="choose",
            title="Which of twelve?",
            message="",
            options=options,
            default="o10",
            site="",
        ),
        then=enter,
    )


@scene
def prompt_text(shooter: Shooter, name: str) -> None:
    show_dialog(
        shooter,
        name,
        prompt(
            kind="prompt",
            title="Name this tab group",
            message="The name shows in the extension's list.",
            placeholder="Group name",
            site="",
        ),
    )


@scene
def prompt_secret(shooter: Shooter, name: str) -> None:
    def type_caps(dialog: PromptDialog) -> None:
        assert dialog.line_edit is not None
        QTest.keyClicks(dialog.line_edit, "HUNTER")  # no Shift: Caps Lock must be on
        QTest.keyClick(dialog.line_edit, Qt.Key.Key_Return)

    show_dialog(
        shooter,
        name,
        prompt(
            kind="prompt",
            title="Your passphrase",
            message="Unlocks the vault of alice@example.org.",
            secret=True,
            max_length=64,
            site="",
        ),
        then=type_caps,
    )


# -- the tray ---------------------------------------------------------------------------
class ManualAutostart:
    """Start at login, kept in memory (the screenshots must not touch the desktop's)."""

    location = "(screenshots)"

    def __init__(self) -> None:
        self.enabled = True

    def is_enabled(self) -> bool:
        return self.enabled

    def enable(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False


@dataclass
class TrayParts:
    tray: Tray
    queue: PromptQueue
    store: DecisionStore
    activity: ActivityLog
    runner: ThreadRunner


_PARTS: list[TrayParts] = []
"""The one tray of this run, as the app has one for its life (a tray and its windows
dropped on the Python side while Qt still draws them can crash PySide)."""
_KEEP: list[object] = []


def tray_parts(
    pending: int = 0, paused: bool = False
) -> tuple[Tray, PromptQueue, DecisionStore, ActivityLog, ThreadRunner]:
    """The tray over a real queue, store and activity log, with ``pending`` requests
    waiting (counted only) and paused or not."""
    from app.system import folders
    from app.ui.integration_menu import build_integration_menu

    if not _PARTS:
        store = DecisionStore(folders.data_dir())
        store.load()
        activity = ActivityLog()
        queue = PromptQueue(UnattendedPresenter(), QtScheduler(), store, activity)
        runner = ThreadRunner()
        tray = Tray(
            queue,
            store,
            activity,
            ManualAutostart(),
            runner,
            integration_menu=build_integration_menu,
            names=lambda _family, ident: "Bridgekeeper demo" if ident == CHROME_ID else "",
        )
        _PARTS.append(TrayParts(tray, queue, store, activity, runner))
    parts = _PARTS[0]
    parts.queue._pending[:] = [object()] * pending  # type: ignore[list-item]
    parts.queue._paused = paused
    parts.tray.refresh()
    return parts.tray, parts.queue, parts.store, parts.activity, parts.runner


def popup(shooter: Shooter, menu: QWidget, name: str, at: QPoint) -> None:
    menu.popup(at)  # type: ignore[attr-defined]
    shooter.settle(0.3)
    shooter.grab(menu, name)
    menu.hide()


@scene
def tray_menu(shooter: Shooter, name: str) -> None:
    tray, queue, *_ = tray_parts(pending=2)
    popup(shooter, tray.menu, name, QPoint(200, 40))
    queue._pending.clear()


@scene
def tray_menu_paused(shooter: Shooter, name: str) -> None:
    tray, *_ = tray_parts(paused=True)
    popup(shooter, tray.menu, name, QPoint(200, 40))
    tray_parts()  # resumed


@scene
def tray_integration(shooter: Shooter, name: str) -> None:
    tray, *_ = tray_parts()
    menu = tray.integration_menu
    assert menu is not None
    menu.aboutToShow.emit()
    popup(shooter, menu, name, QPoint(200, 40))


@scene
def tray_integration_question(shooter: Shooter, name: str) -> None:
    from PySide6.QtCore import QCoreApplication, QTimer

    from app.ui.integration_menu import IntegrationMenu

    menu = IntegrationMenu()
    _KEEP.append(menu)

    def answer() -> None:
        box = menu.question
        if box is None:
            QTimer.singleShot(50, answer)
            return
        shooter.grab(box, name)
        box.reject()

    QTimer.singleShot(100, answer)
    menu.confirm_remove(
        QCoreApplication.translate("IntegrationMenu", "Remove Bridgekeeper from {browser}?").format(
            browser="Firefox"
        ),
        QCoreApplication.translate(
            "IntegrationMenu",
            "Extensions in {browser} will no longer reach Bridgekeeper until you register it "
            "again.",
        ).format(browser="Firefox"),
    )


# -- the windows ------------------------------------------------------------------------
@scene
def window_activity(shooter: Shooter, name: str) -> None:
    tray, _queue, _store, activity, _runner = tray_parts()
    entries = [
        (
            "Bridgekeeper demo",
            CHROME_ID,
            "confirm",
            "Allow access to your clipboard?",
            "allow",
            "user",
            "https://example.com",
        ),
        (
            "Bridgekeeper demo",
            CHROME_ID,
            "secret.get",
            "Read the secret “api-token”?",
            "allow",
            "remembered",
            "",
        ),
        (
            "",
            "demo@bridgekeeper.org",
            "choose",
            "Sign in with which account?",
            "cancel",
            "timeout",
            "https://accounts.example.org",
        ),
        ("Bridgekeeper demo", CHROME_ID, "prompt", "Name this tab group", "submit", "user", ""),
        (
            "Wallet",
            "nngceckbapebfimnlniiiahkandclblb",
            "confirm",
            "Send 0.5 ETH to 0xab12…9f? This leaves your wallet at once",
            "deny",
            "closed",
            "https://\u0430pple.com",
        ),
        ("Bridgekeeper demo", CHROME_ID, "notify", "Backup finished", "shown", "", ""),
        (
            "Bridgekeeper demo",
            CHROME_ID,
            "confirm",
            "Delete all saved tabs?",
            "deny",
            "paused",
            "https://example.com",
        ),
    ]
    for ext_name, ident, kind, title, outcome, reason, site in entries:
        family = "chromium" if len(ident) == 32 else "firefox"
        activity.record(
            browser="Chromium" if family == "chromium" else "Firefox",
            extension_id=ident,
            extension_name=ext_name,
            type=kind,
            title=title,
            outcome=outcome,
            reason=reason,
            family=family,
            site=site,
        )
    tray.show_activity()
    assert tray.activity_window is not None
    shooter.grab(tray.activity_window, name)
    tray.activity_window.filter.setText("wallet")
    shooter.grab(tray.activity_window, name + "-filtered")
    tray.close()


@scene
def window_decisions(shooter: Shooter, name: str) -> None:
    tray, _queue, store, *_ = tray_parts()
    for key, decision in [
        (
            DecisionKey("chromium", CHROME_ID, "confirm", "clipboard.read", "https://example.com"),
            "allow",
        ),
        (DecisionKey("chromium", CHROME_ID, "secret.get", "api-token", ""), "allow"),
        (DecisionKey("firefox", "demo@bridgekeeper.org", "confirm", "open-tab", ""), "deny"),
    ]:
        store.remember(key, decision)
    tray.show_decisions()
    assert tray.decisions_window is not None
    shooter.grab(tray.decisions_window, name)
    tray.close()


@scene
def window_about(shooter: Shooter, name: str) -> None:
    tray, *_ = tray_parts()
    tray.show_about()
    assert tray.about_box is not None
    shooter.grab(tray.about_box, name)
    tray.close()


@scene
def window_extensions(shooter: Shooter, name: str) -> None:
    tray, *_ = tray_parts()
    tray.show_extensions()
    window = tray.extensions_window
    assert window is not None
    shooter.grab(window, name)
    window.add()
    dialog = window.add_dialog
    assert dialog is not None
    deadline = time.monotonic() + 10
    while not dialog.found and time.monotonic() < deadline:
        shooter.settle(0.1)
    shooter.grab(dialog, name + "-add")
    dialog.id_field.setText("not an id")
    shooter.grab(dialog, name + "-add-typed")
    dialog.reject()
    tray.close()
