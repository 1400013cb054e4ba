"""Flatpak browsers for real: Chromium and Firefox ESR started inside bubblewrap with what
Flatpak gives a browser (tests/support/sandbox.py), registered by ``bridgekeeper install``
alone (a FAKE Flatpak install beforehand), reaching the app started outside.

The browser inside finds the manifest install placed in its ``~/.var/app/<id>`` and
starts the host copy with the runtime's ``/usr/bin/python3``; the copy reaches the app
through the socket the app keeps where the sandbox sees it
(``$XDG_RUNTIME_DIR/app/<id>/bridgekeeper/``), or, with no app running, answers
``app_unavailable`` itself: from inside, it cannot start the app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.browsers import BROWSERS, Browser, BrowserName
from tests.support.desktop import Desktop
from tests.support.harness import AppProcess, Home, start_app, temp_home, wait_for
from tests.support.sandbox import available, open_sandboxed_browser, runtime_env

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not available(), reason="needs bwrap, chromium and firefox-esr"),
]
CONFIRM = {"type": "confirm", "title": "Asked from inside a sandbox?", "timeout": 30}


def error(outcome: dict[str, Any]) -> dict[str, Any]:
    assert "error" in outcome, outcome
    failure: dict[str, Any] = outcome["error"]
    return failure


def value(outcome: dict[str, Any]) -> Any:
    assert "value" in outcome, outcome
    return outcome["value"]


@pytest.mark.parametrize("name", BROWSERS)
def test_the_sandboxed_browser_starts_the_host_copy_install_placed(name: BrowserName) -> None:
    with temp_home() as home, open_sandboxed_browser(name, home) as browser:
        # No app runs, and from inside the copy cannot start it: it answers for itself,
        # framed, as the contract says, with what to do.
        outcome = browser.run({"op": "request", "message": {"type": "ping"}}, timeout=40)
        failure = error(outcome)
        assert failure["code"] == "app_unavailable", outcome
        assert "runs in a Flatpak sandbox" in failure["message"], outcome
        assert "Start at login" in failure["message"], outcome


@dataclass
class Session:
    name: BrowserName
    home: Home
    browser: Browser
    desktop: Desktop
    app: AppProcess


@pytest.fixture(params=BROWSERS)
def session(request: pytest.FixtureRequest, desktop: Desktop) -> Iterator[Session]:
    name: BrowserName = request.param
    with temp_home() as home:
        env = {**desktop.app_env(), **runtime_env(home)}
        app = start_app(home, env=env)  # outside the sandbox, as the user's session runs it
        try:
            with open_sandboxed_browser(name, home) as browser:
                yield Session(name, home, browser, desktop, app)
        finally:
            app.stop()


@pytest.mark.xvfb
def test_ping_from_inside_the_sandbox(session: Session) -> None:
    reply = value(session.browser.run({"op": "raw", "message": {"type": "ping"}}))
    assert reply["result"]["pong"] is True


@pytest.mark.xvfb
@pytest.mark.parametrize("answer", ["allow", "deny"])
def test_confirm_from_inside_is_answered_in_its_dialog(session: Session, answer: str) -> None:
    seq = session.browser.submit({"op": "request", "message": CONFIRM})
    session.desktop.answer_dialog(answer, screenshot=f"sandboxed-{session.name}-{answer}")
    assert value(session.browser.result(seq)) == {
        "decision": answer,
        "reason": "user",
        "remembered": False,
    }


@pytest.mark.xvfb
def test_a_port_and_cancel_from_inside(session: Session) -> None:
    browser, desktop = session.browser, session.desktop
    value(browser.run({"op": "connect", "port": "p"}))
    try:
        done = value(browser.run({"op": "port.pings", "port": "p", "count": 200}, 60))
        assert done["arrived"] == list(range(200))
        waiting = browser.submit(
            {"op": "port.request", "port": "p", "message": {**CONFIRM, "id": "first"}}
        )
        dialog = desktop.wait_for_dialog()
        cancelled = value(browser.run({"op": "port.cancel", "port": "p", "target": "first"}))
        assert cancelled == {"cancelled": True}
        assert error(browser.result(waiting))["code"] == "cancelled"
        wait_for(lambda: dialog not in desktop.find_dialogs(), 5, "the cancelled dialog to close")
    finally:
        browser.run({"op": "port.disconnect", "port": "p"})


@pytest.mark.xvfb
def test_the_browser_gone_mid_prompt_closes_its_dialog(session: Session) -> None:
    browser, desktop = session.browser, session.desktop
    browser.submit({"op": "request", "message": CONFIRM})
    dialog = desktop.wait_for_dialog()
    gone = time.monotonic()
    browser.stop()  # the whole sandbox: browser, host copy and all
    wait_for(lambda: dialog not in desktop.find_dialogs(), 5, "the dialog to close")
    assert time.monotonic() - gone < 5
