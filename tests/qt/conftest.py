"""Shared by the widget tests: Qt offscreen, prompts to show, a dialog opener, and the
app's translations switched on for one test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.prompts import Answer, Prompt
from app.main import Bridgekeeper
from app.ui import dialogs, i18n
from app.ui.dialogs import PromptDialog
from tests.support.harness import Home
from tests.support.machine import fake_browsers

BASE = Prompt(
    key=1,
    kind="confirm",
    browser="Chromium",
    family="chromium",
    extension_id="knldjmfmopnpolahpmmgbagdohdnhkik",
    extension_name="Demo Extension",
    title="Allow access to your clipboard?",
    message="example.com wants to read what you copied.",
    site="https://example.com",
)

Answers = list[tuple[int, Answer]]


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    """Widgets offscreen whatever the environment says (no display is needed)."""
    return ["bridgekeeper-tests", "-platform", "offscreen"]


def make(**fields: object) -> Prompt:
    fields.setdefault("deadline", time.monotonic() + 60)
    return replace(BASE, **fields)  # type: ignore[arg-type]


@pytest.fixture
def answers() -> Answers:
    return []


@pytest.fixture
def quick_arm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arm Allow/Submit after 50 ms instead of 1 s (the 1 s itself has its own test)."""
    monkeypatch.setattr(dialogs, "ARM_DELAY_MS", 50)


@pytest.fixture
def open_dialog(qtbot: QtBot, answers: Answers) -> Iterator[Callable[..., PromptDialog]]:
    opened: list[PromptDialog] = []

    def open_(prompt: Prompt | None = None, waiting: int = 0, **fields: object) -> PromptDialog:
        dialog = PromptDialog(
            prompt or make(**fields), waiting, lambda k, a: answers.append((k, a))
        )
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        return dialog

    yield open_
    for dialog in opened:
        if shiboken6.isValid(dialog):  # answered dialogs delete themselves
            dialog.dismiss()


@pytest.fixture
def chinese(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's Simplified Chinese catalogue installed, as ``LANGUAGE=zh_CN`` does; widgets
    built during the test speak it. Back to English afterwards."""
    language = i18n.install_translations(qapp, {"LANGUAGE": "zh_CN"})
    assert language == "zh_CN"
    yield language
    i18n.install_translations(qapp, {"LANGUAGE": "en"})
    assert QCoreApplication.translate("PromptDialog", "&Allow") == "&Allow"


@pytest.fixture
def desktop_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """This process's environment pointed at ``home``, with chromium, firefox and brave
    on PATH, a Flatpak Vivaldi (served inside its sandbox) and a Flatpak Tor Browser
    (which cannot be served)."""
    env = home.env(fake_browsers(home, "chromium", "firefox", "brave-browser"))
    for name in ("HOME", "BRIDGEKEEPER_HOME", "PATH", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, env[name])
    flatpaks = home.home / ".local/share/flatpak/app"
    (flatpaks / "com.vivaldi.Vivaldi").mkdir(parents=True)
    (flatpaks / "org.torproject.torbrowser-launcher").mkdir(parents=True)
    return home


def answer_question(qtbot: QtBot, holder: object, button: str) -> None:
    """Answer the question box ``holder.question`` ("remove" or "cancel") as soon as it is
    open: it runs its own event loop, so the answer is scheduled before it opens."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    def answer() -> None:
        box = getattr(holder, "question", None)
        if not isinstance(box, QMessageBox) or not box.isVisible():
            QTimer.singleShot(20, answer)
            return
        assert box.defaultButton() is box.escapeButton()  # Cancel is the default
        wanted = (
            box.escapeButton()
            if button == "cancel"
            else next(b for b in box.buttons() if b is not box.escapeButton())
        )
        assert wanted is not None
        wanted.click()

    QTimer.singleShot(0, answer)


@pytest.fixture
def bridgekeeper(
    home: Home, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> Iterator[Bridgekeeper]:
    """The real app's core in this process, listening in ``home`` (no dialogs)."""
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(home.bk_home))
    running = Bridgekeeper()
    running.start()
    yield running
    running.stop()
