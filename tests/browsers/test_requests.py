"""Real browsers end to end: headless Chromium and Firefox ESR run the demo extension's
test build, the host is registered by ``bridgekeeper install``, and the real app answers,
its dialogs driven on Xvfb the way a user answers them.

One browser start per browser serves most tests (see ``session``); only the unstartable
app needs its own, because the browser's environment is what the host inherits.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.integration.profiles import chromium_extensions, chromium_profiles, firefox_extensions
from tests.support.browsers import (
    BROWSERS,
    Browser,
    BrowserName,
    app_pids,
    chromium_profile,
    firefox_profile,
    host_pids,
    open_browser,
)
from tests.support.desktop import SCREENSHOTS, Desktop
from tests.support.harness import (
    CHROME_ID,
    FIREFOX_ID,
    AppProcess,
    Home,
    start_app,
    temp_home,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.xvfb]

CONFIRM = {"type": "confirm", "title": "Open the demo's tab?", "timeout": 30}
MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class Session:
    name: BrowserName
    home: Home
    browser: Browser
    desktop: Desktop
    env: dict[str, str]


@pytest.fixture(scope="module", params=BROWSERS)
def session(request: pytest.FixtureRequest, desktop: Desktop) -> Iterator[Session]:
    name: BrowserName = request.param
    env = desktop.app_env()
    with temp_home() as home, open_browser(name, home, env=env) as browser:
        yield Session(name, home, browser, desktop, env)


@pytest.fixture
def gui_app(session: Session) -> Iterator[AppProcess]:
    process = start_app(session.home, env=session.env)
    try:
        yield process
        # Every test leaves no port open: the next one counts hosts.
        wait_for(lambda: not host_pids(session.home), 5, "the hosts of this test to exit")
    finally:
        assert process.stop() == 0


def value(outcome: dict[str, Any]) -> Any:
    assert "value" in outcome, outcome
    return outcome["value"]


def error(outcome: dict[str, Any]) -> dict[str, Any]:
    assert "error" in outcome, outcome
    failure: dict[str, Any] = outcome["error"]
    return failure


def test_mdn_ping_pong_example(session: Session, gui_app: AppProcess) -> None:
    browser = session.browser
    if session.name == "firefox":
        # MDN's ping_pong example unchanged: any JSON value, here the string "ping".
        assert browser.run({"op": "raw", "message": "ping"}) == {"value": "pong"}
    else:
        refused = error(browser.run({"op": "raw", "message": "ping"}))
        assert "No matching signature" in refused["message"]
    reply = value(browser.run({"op": "raw", "message": {"type": "ping"}}))
    assert reply["ok"] is True
    assert reply["result"]["pong"] is True
    assert reply["result"]["protocol"] == 1


def test_demo_page_has_a_card_per_request_type_and_shows_replies_in_full(
    session: Session, gui_app: AppProcess
) -> None:
    browser = session.browser
    assert value(browser.run({"op": "demo.cards"})) == [
        "ping",
        "status",
        "confirm",
        "choose",
        "prompt",
        "notify",
        "secret.set",
        "secret.get",
        "secret.delete",
        "cancel",
    ]
    pong = value(browser.run({"op": "demo.click", "card": "ping", "button": "Send once"}))
    assert pong["ok"] is True
    assert json.loads(pong["text"])["result"]["pong"] is True
    status = value(browser.run({"op": "demo.click", "card": "status", "button": "Send on port"}))
    assert json.loads(status["text"])["result"]["pending"] == 0
    assert value(browser.run({"op": "demo.disconnect"})) == "closed: disconnected by the extension"
    # An error is shown as the full error reply.
    bad = {"type": "confirm", "id": "no-title"}
    refused = value(
        browser.run({"op": "demo.click", "card": "confirm", "button": "Send once", "edit": bad})
    )
    assert refused["ok"] is False
    reply = json.loads(refused["text"])
    assert reply["id"] == "no-title"
    assert reply["error"]["code"] == "bad_request"
    assert "title" in reply["error"]["message"]
    shot = value(browser.run({"op": "demo.screenshot", "card": "confirm"}))
    png = base64.b64decode(shot.split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"browser-{session.name}-demo-error.png").write_bytes(png)


@pytest.mark.parametrize("answer", ["allow", "deny"])
def test_confirm_answered_in_the_real_dialog(
    session: Session, gui_app: AppProcess, answer: str
) -> None:
    seq = session.browser.submit({"op": "request", "message": CONFIRM})
    session.desktop.answer_dialog(answer, screenshot=f"browser-{session.name}-confirm-{answer}")
    assert value(session.browser.result(seq)) == {
        "decision": answer,
        "reason": "user",
        "remembered": False,
    }


def test_confirm_times_out_as_deny(session: Session, gui_app: AppProcess) -> None:
    started = time.monotonic()
    seq = session.browser.submit({"op": "request", "message": {**CONFIRM, "timeout": 5}})
    dialog = session.desktop.wait_for_dialog()
    assert value(session.browser.result(seq, timeout=15)) == {
        "decision": "deny",
        "reason": "timeout",
        "remembered": False,
    }
    assert 5 <= time.monotonic() - started < 10
    assert dialog not in session.desktop.find_dialogs()


def test_remembered_decision_is_answered_without_a_dialog(
    session: Session, gui_app: AppProcess
) -> None:
    message = {**CONFIRM, "action": "demo.open-tab", "site": "https://example.org/page"}
    seq = session.browser.submit({"op": "request", "message": message})
    session.desktop.answer_dialog("allow", keys="alt+r")
    assert value(session.browser.result(seq)) == {
        "decision": "allow",
        "reason": "user",
        "remembered": True,
    }
    again = session.browser.run({"op": "request", "message": message}, timeout=5)
    assert value(again) == {"decision": "allow", "reason": "remembered", "remembered": True}
    assert not session.desktop.find_dialogs()


def test_port_serves_1000_sequential_pings_in_order(session: Session, gui_app: AppProcess) -> None:
    browser = session.browser
    value(browser.run({"op": "connect", "port": "pings"}))
    try:
        done = value(browser.run({"op": "port.pings", "port": "pings", "count": 1000}, 60))
    finally:
        browser.run({"op": "port.disconnect", "port": "pings"})
    assert done["count"] == 1000
    assert done["arrived"] == list(range(1000))


def test_port_cancel_and_client_timeout_close_the_dialog(
    session: Session, gui_app: AppProcess
) -> None:
    browser, desktop = session.browser, session.desktop
    value(browser.run({"op": "connect", "port": "c"}))
    try:
        waiting = browser.submit(
            {"op": "port.request", "port": "c", "message": {**CONFIRM, "id": "first"}}
        )
        dialog = desktop.wait_for_dialog()
        assert value(browser.run({"op": "port.cancel", "port": "c", "target": "first"})) == {
            "cancelled": True
        }
        assert error(browser.result(waiting))["code"] == "cancelled"
        wait_for(lambda: dialog not in desktop.find_dialogs(), 5, "the cancelled dialog to close")

        # The client's own timeout (1.5 s) is shorter than the app's: it sends `cancel`.
        waiting = browser.submit(
            {"op": "port.request", "port": "c", "message": CONFIRM, "timeout": 1500}
        )
        dialog = desktop.wait_for_dialog()
        assert error(browser.result(waiting, timeout=10))["code"] == "timeout"
        wait_for(lambda: dialog not in desktop.find_dialogs(), 5, "the timed-out dialog to close")
        status = value(
            browser.run({"op": "port.request", "port": "c", "message": {"type": "status"}})
        )
        assert status["pending"] == 0
    finally:
        browser.run({"op": "port.disconnect", "port": "c"})


def test_disconnected_port_closes_its_dialog_and_the_host_exits(
    session: Session, gui_app: AppProcess
) -> None:
    browser, desktop, home = session.browser, session.desktop, session.home
    wait_for(lambda: not host_pids(home), 5, "earlier hosts to exit")
    value(browser.run({"op": "connect", "port": "d"}))
    waiting = browser.submit({"op": "port.request", "port": "d", "message": CONFIRM})
    dialog = desktop.wait_for_dialog()
    (host,) = host_pids(home)
    closed = time.monotonic()
    value(browser.run({"op": "port.disconnect", "port": "d"}))
    # The host exits by itself within a second (Chromium would kill it only after 2 s).
    # (A zombie, exited but not yet reaped by the browser, has no command line: not listed.)
    wait_for(lambda: host not in host_pids(home), 1.8, "the host to exit")
    assert time.monotonic() - closed < 1.8
    assert error(browser.result(waiting))["code"] == "disconnected"
    wait_for(lambda: dialog not in desktop.find_dialogs(), 5, "the dialog to close")


def test_app_not_running_is_started_by_the_host(session: Session) -> None:
    home = session.home
    assert not app_pids(home)
    reply = value(session.browser.run({"op": "request", "message": {"type": "ping"}}, 30))
    assert reply["pong"] is True
    started = app_pids(home)
    assert len(started) == 1
    for pid in started:
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not app_pids(home), 10, "the app the host started to quit")


def test_oversize_request_is_refused(session: Session, gui_app: AppProcess) -> None:
    browser = session.browser
    # Over the largest valid request (1 MiB) but under the frame limit: read and refused.
    over_a_mib = error(browser.run({"op": "big", "size": 2 * 1024 * 1024}))
    assert over_a_mib["code"] == "bad_request"
    assert over_a_mib["reply"]["id"] == "big"
    huge = MAX_REQUEST_BYTES + 100
    if session.name == "chromium":
        # Chromium never sends a message over 64 MiB: it throws in the extension.
        refused = error(browser.run({"op": "big", "size": huge}))
        assert refused["code"] == "native_messaging"
        assert "exceeded maximum allowed size of 64MiB" in refused["message"]
    else:
        # Firefox sends it (slowly: ~20 s here); the host skips it unread: too_large.
        value(browser.run({"op": "connect", "port": "big"}))
        try:
            outcome = browser.run({"op": "port.big", "port": "big", "size": huge}, 90)
        finally:
            browser.run({"op": "port.disconnect", "port": "big"})
        assert error(outcome)["code"] == "too_large"
        assert error(outcome)["reply"]["id"] is None


@pytest.mark.parametrize("name", BROWSERS)
def test_unstartable_app_answers_app_unavailable(name: BrowserName) -> None:
    with (
        temp_home() as home,
        open_browser(name, home, env={"BRIDGEKEEPER_APP_COMMAND": "/nonexistent"}) as browser,
    ):
        started = time.monotonic()
        outcome = browser.run({"op": "request", "message": {"type": "ping"}}, 30)
        failure = error(outcome)
        assert failure["code"] == "app_unavailable"
        assert "/nonexistent" in failure["message"]
        assert time.monotonic() - started < 15
        wait_for(lambda: not host_pids(home), 5, "the host to exit")


def test_the_browsers_own_profile_lists_the_test_extension(session: Session) -> None:
    """What "Allowed extensions…" offers, read from the profile the real browser wrote."""
    found: list[tuple[str, str]] = []

    def listed() -> bool:
        if session.name == "chromium":
            folders = chromium_profiles(chromium_profile(session.home))
            found[:] = [e for folder, _ in folders for e in chromium_extensions(folder)]
        else:
            found[:] = list(firefox_extensions(firefox_profile(session.home)))
        return bool(found)

    wait_for(listed, 30, f"{session.name} to record its extensions in the profile")
    ident = CHROME_ID if session.name == "chromium" else FIREFOX_ID
    assert found == [(ident, "Bridgekeeper demo (test build)")]
