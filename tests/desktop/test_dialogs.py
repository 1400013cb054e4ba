"""Each dialog kind shown by the real app process on a real X server (Xvfb, with trayer's
system tray), asked for by a real host subprocess and answered with xdotool keys.

Screenshots land in ``BK_SCREENSHOTS`` (default /tmp/bk-screenshots).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.desktop import Desktop
from tests.support.harness import AppProcess, Home, HostProcess, app_command, start_app, wait_for

pytestmark = pytest.mark.xvfb


@pytest.fixture
def gui_app(home: Home, desktop: Desktop) -> Iterator[AppProcess]:
    process = start_app(home, env=desktop.app_env())
    yield process
    assert process.stop() == 0


@pytest.fixture
def host(home: Home, gui_app: AppProcess) -> Iterator[HostProcess]:
    started = HostProcess(home)
    yield started
    started.kill()


def ask(host: HostProcess, **request: Any) -> None:
    host.send({"id": 1, "timeout": 30, **request})


def test_confirm_allow(desktop: Desktop, host: HostProcess) -> None:
    ask(
        host,
        type="confirm",
        title="Allow access to your clipboard?",
        message="example.com wants to read what you copied.\n<b>this is not bold</b>",
        details="Requested by the page's copy button.",
        site="https://example.com",
        action="clipboard.read",
        danger=True,
    )
    desktop.answer_dialog("allow", screenshot="xvfb-confirm")
    assert host.read() == {
        "id": 1,
        "ok": True,
        "result": {"decision": "allow", "reason": "user", "remembered": False},
    }


def test_confirm_deny_with_escape(desktop: Desktop, host: HostProcess) -> None:
    ask(host, type="confirm", title="Open invoice\u202egnp.exe?", message="a\x1bb")
    desktop.answer_dialog("deny", screenshot="xvfb-confirm-bidi")
    reply = host.read()
    assert reply["result"]["decision"] == "deny"
    assert reply["result"]["reason"] == "user"


def test_confirm_times_out_and_its_dialog_closes(desktop: Desktop, host: HostProcess) -> None:
    ask(host, type="confirm", title="Nobody answers this", timeout=5)
    window = desktop.wait_for_dialog()
    started = time.monotonic()
    reply = host.read()
    assert reply["result"] == {"decision": "deny", "reason": "timeout", "remembered": False}
    assert 3.5 < time.monotonic() - started < 7
    desktop._wait_gone(window, 3)
    assert window not in desktop.find_dialogs()


def test_choose_submit_moves_the_selection(desktop: Desktop, host: HostProcess) -> None:
    ask(
        host,
        type="choose",
        title="Which account?",
        message="Pick the account to sign in with.",
        options=[{"id": f"a{i}", "label": f"Account {i}"} for i in range(3)],
        default="a0",
    )
    desktop.answer_dialog("submit", keys="Down", screenshot="xvfb-choose")
    reply = host.read()
    assert reply["result"]["decision"] == "submit"
    assert reply["result"]["choice"] == "a1"


def test_prompt_submit_typed_text(desktop: Desktop, host: HostProcess) -> None:
    ask(host, type="prompt", title="Name this tab group", placeholder="Group name")
    desktop.answer_dialog("submit", text="Research", screenshot="xvfb-prompt")
    reply = host.read()
    assert reply["result"] == {"decision": "submit", "value": "Research", "reason": "user"}


def test_prompt_cancel(desktop: Desktop, host: HostProcess) -> None:
    ask(host, type="prompt", title="Your passphrase", secret=True)
    desktop.answer_dialog("cancel", text="hunter2", screenshot="xvfb-prompt-secret")
    reply = host.read()
    assert reply["result"] == {"decision": "cancel", "value": None, "reason": "user"}


def test_long_text_dialog_fits_the_screen(desktop: Desktop, host: HostProcess) -> None:
    ask(
        host,
        type="confirm",
        title="T" * 200,
        message=(("lorem ipsum " * 30 + "x" * 300 + "\n") * 11)[:4000],  # the SPEC's limit
    )
    window = desktop.wait_for_dialog()
    desktop.screenshot("xvfb-long")
    _x, _y, width, height = desktop.window_geometry(window)
    assert width <= 1280
    assert 0 < height <= 800
    desktop.answer_dialog("deny")
    assert host.read()["result"]["decision"] == "deny"


def test_host_gone_closes_its_dialog(desktop: Desktop, host: HostProcess) -> None:
    ask(host, type="confirm", title="The tab closes before you answer")
    window = desktop.wait_for_dialog()
    gone = time.monotonic()
    host.close()
    desktop._wait_gone(window, 3)
    assert window not in desktop.find_dialogs()
    assert time.monotonic() - gone < 1.5


def test_second_start_hands_over_and_brings_the_dialog_forward(
    home: Home, desktop: Desktop, host: HostProcess
) -> None:
    ask(host, type="confirm", title="Still waiting for you")
    window = desktop.wait_for_dialog()
    other = desktop.find_windows("^panel$")[0]
    desktop.xdotool("windowfocus", "--sync", other)  # the user went elsewhere
    second = subprocess.run(
        app_command(), check=False, env=home.env(desktop.app_env()), capture_output=True, timeout=30
    )
    assert second.returncode == 0
    # With a window manager the dialog is activated. Bare Xvfb has none, and the X server
    # ignores Qt's focus request (its timestamp predates the user's focus change): then
    # the app must say in the tray that a request waits.
    wait_for(
        lambda: (
            desktop.xdotool("getwindowfocus") == window
            or "did not get the focus" in home.log_text()
        ),
        5,
        "the dialog to take the focus, or a tray notification",
    )
    assert window in desktop.find_dialogs()
    time.sleep(0.5)  # the balloon fades in
    desktop.screenshot("xvfb-handed-over")
    desktop.answer_dialog("deny")
    assert host.read()["result"]["decision"] == "deny"


def test_a_queue_of_dialogs_opens_at_one_size_and_place_and_can_be_denied_at_once(
    desktop: Desktop, host: HostProcess
) -> None:
    host.send({"id": 1, "type": "confirm", "title": "First", "message": "long\n" * 10})
    host.send({"id": 2, "type": "confirm", "title": "Second", "timeout": 30})
    host.send({"id": 3, "type": "prompt", "title": "Third", "timeout": 30})
    first = desktop.wait_for_dialog()
    where = desktop.window_geometry(first)
    desktop.xdotool("windowfocus", "--sync", first)
    desktop.xdotool("key", "Escape")
    assert host.read()["result"]["decision"] == "deny"
    deadline = time.monotonic() + 10
    while (second := desktop.wait_for_dialog()) == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second != first
    assert desktop.window_geometry(second) == where  # the buttons did not move
    desktop.screenshot("xvfb-queue-second")
    desktop.xdotool("windowfocus", "--sync", second)
    desktop.xdotool("key", "--clearmodifiers", "alt+e")  # Deny all from this extension
    replies = {reply["id"]: reply["result"] for reply in (host.read(), host.read())}
    assert replies == {
        2: {"decision": "deny", "reason": "user", "remembered": False},
        3: {"decision": "cancel", "value": None, "reason": "user"},
    }
    desktop._wait_gone(second, 3)
    assert desktop.find_dialogs() == []
