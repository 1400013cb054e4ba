"""Prompts end to end: the real app process, hosts started as browsers start them, and the
``bridgekeeper`` command line. These cover everything that needs no click in a dialog:
pause, remembered decisions, limits, cancellation, disconnects, timeouts, a killed app."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from app.core.decisions import FILE_NAME, DecisionKey, DecisionStore
from tests.support.desktop import Desktop
from tests.support.fake_app import FakeApp
from tests.support.filesystems import full
from tests.support.harness import (
    CHROME_ID,
    FIREFOX_ID,
    AppProcess,
    Home,
    HostProcess,
    app_command,
    one_shot,
    start_app,
    wait_for,
)

pytestmark = pytest.mark.app_transport

SITE = "https://example.com"
KEY = DecisionKey("chromium", CHROME_ID, "confirm", "open-tab", SITE)
FIREFOX_ARGV = ["/home/u/.mozilla/native-messaging-hosts/org.bridgekeeper.host.json", FIREFOX_ID]


def cli(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*app_command(), *args],
        env=home.env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def status(home: Home) -> dict[str, Any]:
    reply = one_shot(home, {"type": "status"})
    result: dict[str, Any] = reply["result"]
    return result


def seed(home: Home, *decisions: tuple[DecisionKey, str]) -> Path:
    folder = home.bk_home / "data"
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    store = DecisionStore(folder)
    store.load()
    for key, decision in decisions:
        store.remember(key, decision)
    return folder / FILE_NAME


def read_replies(host: HostProcess, count: int) -> dict[Any, Any]:
    replies = {}
    for _ in range(count):
        reply = host.read()
        assert reply is not None, "the host ended before all replies came"
        replies[reply["id"]] = reply
    return replies


def test_pause_from_cli_answers_without_dialog_until_resumed(app: AppProcess) -> None:
    home = app.home
    done = cli(home, "pause")
    assert (done.returncode, done.stdout) == (0, "Prompts paused.\n")
    assert status(home)["paused"] is True
    replies = [
        one_shot(home, {"type": "confirm", "id": 1, "title": "Allow?"}),
        one_shot(
            home,
            {
                "type": "choose",
                "id": 2,
                "title": "Pick",
                "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            },
        ),
        one_shot(home, {"type": "prompt", "id": 3, "title": "Name?"}, FIREFOX_ARGV),
    ]
    assert [r["result"] for r in replies] == [
        {"decision": "deny", "reason": "paused", "remembered": False},
        {"decision": "cancel", "choice": None, "reason": "paused"},
        {"decision": "cancel", "value": None, "reason": "paused"},
    ]
    assert cli(home, "resume").returncode == 0
    assert status(home) | {"version": None} == {
        "version": None,
        "protocol": 1,
        "paused": False,
        "pending": 0,
    }


def test_pause_without_running_app_fails_with_exit_1(home: Home) -> None:
    done = cli(home, "pause")
    assert done.returncode == 1
    assert "not running" in done.stderr


def test_remembered_decision_answers_at_once_through_the_host(home: Home) -> None:
    seed(home, (KEY, "allow"))
    app = start_app(home)
    try:
        reply = one_shot(
            home,
            {
                "type": "confirm",
                "id": "r",
                "title": "Open a tab?",
                "action": "open-tab",
                "site": "https://example.com/some/page",
            },
        )
        assert reply == {
            "id": "r",
            "ok": True,
            "result": {"decision": "allow", "reason": "remembered", "remembered": True},
        }
        # Another extension, same action and site: its own key, not remembered.
        host = HostProcess(home, FIREFOX_ARGV)
        try:
            host.send(
                {"type": "confirm", "id": 1, "title": "t", "action": "open-tab", "site": SITE}
            )
            wait_for(lambda: status(home)["pending"] == 1, 5, "the confirm to wait")
        finally:
            host.kill()
    finally:
        app.stop()


def test_21st_pending_from_one_extension_is_busy_and_end_cancels_the_20(
    app: AppProcess,
) -> None:
    host = HostProcess(app.home)
    try:
        for i in range(21):
            host.send({"type": "confirm", "id": i, "title": f"#{i}", "timeout": 600})
        assert host.read() == {
            "id": 20,
            "ok": False,
            "error": {
                "code": "busy",
                "message": "20 requests from this extension already wait for the user "
                "(at most 20); try again later",
            },
        }
        assert status(app.home)["pending"] == 20
        # Another extension still gets in.
        other = HostProcess(app.home, FIREFOX_ARGV)
        other.send({"type": "confirm", "id": "f", "title": "other", "timeout": 600})
        wait_for(lambda: status(app.home)["pending"] == 21, 5, "the other extension's confirm")
        other.kill()
        # The browser's input ends: every pending request is answered `cancelled`.
        started = time.monotonic()
        host.close()
        replies = read_replies(host, 20)
        assert host.process.wait(5) == 0
        assert time.monotonic() - started < 1.0
        assert {r["error"]["code"] for r in replies.values()} == {"cancelled"}
        assert sorted(replies) == list(range(20))
        assert status(app.home)["pending"] == 0
    finally:
        host.kill()


def test_cancel_unknown_id_is_false_and_cancel_pending_answers_it(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send({"type": "cancel", "id": "c0", "target": "nothing-with-this-id"})
        assert host.read() == {"id": "c0", "ok": True, "result": {"cancelled": False}}
        host.send(
            {
                "type": "confirm",
                "id": "t",
                "title": "<b>HTML</b> <script>x()</script>",
                "message": "<img src=x onerror=alert(1)>",
                "timeout": 600,
            }
        )
        host.send({"type": "cancel", "id": "c1", "target": "t"})
        replies = read_replies(host, 2)
        assert replies["t"]["error"]["code"] == "cancelled"
        assert replies["c1"]["result"] == {"cancelled": True}
        assert status(app.home)["pending"] == 0
    finally:
        host.kill()


def test_killed_host_cancels_its_pending_request_within_a_second(app: AppProcess) -> None:
    host = HostProcess(app.home)
    host.send({"type": "confirm", "id": 1, "title": "Waiting", "timeout": 600})
    wait_for(lambda: status(app.home)["pending"] == 1, 5, "the confirm to wait")
    host.kill()
    wait_for(lambda: status(app.home)["pending"] == 0, 1.0, "the request to be dropped")
    assert "the presenter failed" not in app.home.log_text()


def test_a_request_behind_another_gets_its_whole_timeout_on_screen(app: AppProcess) -> None:
    first, second = HostProcess(app.home), HostProcess(app.home, FIREFOX_ARGV)
    try:
        started = time.monotonic()
        first.send({"type": "confirm", "id": "c", "title": "t", "timeout": 5})
        wait_for(lambda: status(app.home)["pending"] == 1, 5, "the confirm to wait")
        second.send({"type": "prompt", "id": "p", "title": "t", "timeout": 5})
        assert first.read()["result"] == {
            "decision": "deny",
            "reason": "timeout",
            "remembered": False,
        }
        assert 5.0 <= time.monotonic() - started < 6.5
        # The prompt waited 5 s behind the confirm; its own 5 s start when it is shown.
        assert status(app.home)["pending"] == 1
        assert second.read()["result"] == {"decision": "cancel", "value": None, "reason": "timeout"}
        assert 10.0 <= time.monotonic() - started < 11.5
    finally:
        first.kill()
        second.kill()


def test_app_killed_while_confirm_waits_gives_app_unavailable(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send({"type": "confirm", "id": 9, "title": "t", "timeout": 600})
        wait_for(lambda: status(app.home)["pending"] == 1, 5, "the confirm to wait")
        app.kill()
        reply = host.read()
        assert reply["id"] == 9
        assert reply["error"]["code"] == "app_unavailable"
    finally:
        host.kill()


def test_long_title_is_bad_request_naming_title(app: AppProcess) -> None:
    reply = one_shot(app.home, {"type": "confirm", "id": 1, "title": "x" * 10_000})
    assert reply["error"]["code"] == "bad_request"
    assert "'title'" in reply["error"]["message"]


def test_notify_answers_at_once(app: AppProcess) -> None:
    reply = one_shot(app.home, {"type": "notify", "id": 1, "title": "Done", "message": "<b>x"})
    # The app runs offscreen here: no system tray, so no notification can be shown (with
    # a tray it is: tests/desktop/test_tray.py).
    assert reply == {"id": 1, "ok": True, "result": {"shown": False}}


def test_decisions_list_and_forget_go_through_the_running_app(home: Home) -> None:
    other = DecisionKey("firefox", FIREFOX_ID, "secret.get", "token", "")
    path = seed(home, (KEY, "allow"), (other, "deny"))
    app = start_app(home)
    try:
        listing = cli(home, "decisions", "list")
        assert listing.returncode == 0
        lines = listing.stdout.splitlines()
        assert lines[0].startswith("KEY")
        rows = [line.split() for line in lines[1:]]
        assert [(row[0], row[1], row[3]) for row in rows] == [
            (KEY.short_id, "allow", "confirm"),
            (other.short_id, "deny", "secret.get"),
        ]
        # Extensions without a name are shown by id (cut to fit 100 columns).
        assert CHROME_ID.startswith(rows[0][2].rstrip("…"))
        assert rows[1][2] == FIREFOX_ID
        assert cli(home, "decisions", "forget", KEY.short_id).returncode == 0
        assert [d["id"] for d in json.loads(path.read_text())["decisions"]] == [other.short_id]
        # The running app forgot it too: the same request now waits for the user.
        host = HostProcess(home)
        try:
            host.send(
                {"type": "confirm", "id": 1, "title": "t", "action": "open-tab", "site": SITE}
            )
            wait_for(lambda: status(home)["pending"] == 1, 5, "the confirm to wait")
        finally:
            host.kill()
        unknown = cli(home, "decisions", "forget", KEY.short_id)
        assert unknown.returncode == 1
        assert "no remembered decision" in unknown.stderr
        assert cli(home, "decisions", "forget", "--all").returncode == 0
        assert json.loads(path.read_text())["decisions"] == []
        assert cli(home, "decisions", "list").stdout == "No remembered decisions.\n"
    finally:
        app.stop()


def test_decisions_cli_without_app_edits_the_file(home: Home) -> None:
    path = seed(home, (KEY, "deny"))
    assert KEY.short_id in cli(home, "decisions", "list").stdout
    assert cli(home, "decisions", "forget", "--all", KEY.short_id).returncode == 2
    assert cli(home, "decisions", "forget").returncode == 2
    assert cli(home, "decisions").returncode == 2
    assert cli(home, "decisions", "forget", "nope").returncode == 1
    done = cli(home, "decisions", "forget", KEY.short_id)
    assert (done.returncode, done.stdout) == (0, "Forgot 1 remembered decision.\n")
    assert json.loads(path.read_text()) == {"version": 1, "decisions": []}


def test_decisions_cli_without_app_reports_a_bad_file_and_leaves_it(home: Home) -> None:
    path = seed(home)
    path.write_text('{"version": 7, "decisions": []}')
    for args in (("list",), ("forget", "--all")):
        done = cli(home, "decisions", *args)
        assert done.returncode == 1
        assert "newer Bridgekeeper" in done.stderr
    assert path.read_text() == '{"version": 7, "decisions": []}'


def test_app_with_truncated_decisions_file_keeps_it_aside_and_serves(home: Home) -> None:
    path = seed(home, (KEY, "allow"))
    content = path.read_text()[:40]
    path.write_text(content)
    app = start_app(home)
    try:
        assert one_shot(home, {"type": "ping"})["ok"] is True
        [aside] = list(path.parent.glob(f"{FILE_NAME}.unreadable-*"))
        assert aside.read_text() == content
        assert "remembered decisions file" in home.log_text()
        assert str(aside) in home.log_text()
        assert "kept" in cli(home, "decisions", "list").stderr
    finally:
        app.stop()


@pytest.mark.parametrize("created", ["1e20", "Infinity"])
def test_decisions_list_with_an_impossible_time_is_a_clear_error(home: Home, created: str) -> None:
    path = seed(home, (KEY, "allow"))
    text = re.sub(r'"created": [0-9.e+]+', f'"created": {created}', path.read_text())
    path.write_text(text)
    done = cli(home, "decisions", "list")
    assert (done.returncode, done.stdout) == (1, "")
    assert "Traceback" not in done.stderr
    assert f"{path} is unusable: entry 0 has an impossible time in 'created'" in done.stderr
    assert path.read_text() == text  # the command line leaves it for the app or the user
    app = start_app(home)
    try:
        # The app keeps such a file aside, as any damaged one, and says where.
        listing = cli(home, "decisions", "list")
        assert (listing.returncode, listing.stdout) == (0, "No remembered decisions.\n")
        assert "impossible time in 'created'" in listing.stderr
        [aside] = list(path.parent.glob(f"{FILE_NAME}.unreadable-*"))
        assert aside.read_text() == text
    finally:
        app.stop()


def test_decisions_list_shows_what_draws_nothing_in_a_key(home: Home) -> None:
    hidden = DecisionKey(
        "firefox", "wallet\u202e@example.org", "confirm", "open-tab", "https://\u3164.example"
    )
    seed(home, (hidden, "allow"))
    for running in (False, True):
        app = start_app(home) if running else None
        try:
            listing = cli(home, "decisions", "list")
        finally:
            if app is not None:
                app.stop()
        assert listing.returncode == 0
        # Made visible (cells may be cut to fit 100 columns, never a mark out of sight).
        assert "wallet[RLO U+202E]@e" in listing.stdout
        assert "https://[U+3164].e" in listing.stdout
        assert "\u202e" not in listing.stdout
        assert "\u3164" not in listing.stdout


def test_danger_request_is_not_answered_by_a_remembered_allow(home: Home) -> None:
    payment = DecisionKey("chromium", CHROME_ID, "confirm", "send-payment", SITE)
    seed(home, (payment, "allow"))
    app = start_app(home)
    host = HostProcess(home)
    try:
        request = {"type": "confirm", "action": "send-payment", "site": SITE, "timeout": 600}
        host.send({**request, "id": 1, "title": "Send 0.5 ETH?"})
        assert host.read()["result"]["reason"] == "remembered"
        host.send({**request, "id": 2, "title": "Send 50 ETH to 0xevil?", "danger": True})
        wait_for(lambda: status(home)["pending"] == 1, 5, "the danger request to wait")
        host.send({"type": "cancel", "id": 3, "target": 2})
        assert read_replies(host, 2)[2]["error"]["code"] == "cancelled"
    finally:
        host.kill()
        app.stop()


def test_second_start_hands_over_and_exits_0(app: AppProcess) -> None:
    done = cli(app.home)
    assert done.returncode == 0
    assert app.process.poll() is None


@pytest.mark.xvfb
def test_remember_ticked_in_the_dialog_answers_later_requests_across_restarts(
    home: Home, desktop: Desktop
) -> None:
    request = {
        "type": "confirm",
        "title": "Open a tab?",
        "action": "open-tab",
        "site": "https://example.com/page",
        "timeout": 30,
    }
    app = start_app(home, env=desktop.app_env())
    try:
        host = HostProcess(home)
        try:
            host.send({**request, "id": 1})
            desktop.answer_dialog("allow", keys="alt+r", screenshot="e2e-remember-ticked")
            assert host.read()["result"] == {
                "decision": "allow",
                "reason": "user",
                "remembered": True,
            }
            host.send({**request, "id": 2})
            assert host.read()["result"] == {
                "decision": "allow",
                "reason": "remembered",
                "remembered": True,
            }
            assert not desktop.find_dialogs()
        finally:
            host.kill()
    finally:
        assert app.stop() == 0
    app = start_app(home, env=desktop.app_env())
    try:
        assert one_shot(home, {**request, "id": 3})["result"]["reason"] == "remembered"
        assert KEY.short_id in cli(home, "decisions", "list").stdout
    finally:
        assert app.stop() == 0


@pytest.mark.xvfb
def test_danger_dialog_offers_no_remember_and_the_next_one_asks_again(
    home: Home, desktop: Desktop
) -> None:
    request = {"type": "confirm", "action": "send-payment", "site": SITE, "danger": True}
    app = start_app(home, env=desktop.app_env())
    host = HostProcess(home)
    try:
        host.send({**request, "id": 1, "title": "Send 0.5 ETH?", "timeout": 30})
        # Alt+R would tick "Remember this decision": there is none to tick.
        desktop.answer_dialog("allow", keys="alt+r", screenshot="e2e-danger-no-remember")
        assert host.read()["result"] == {"decision": "allow", "reason": "user", "remembered": False}
        host.send({**request, "id": 2, "title": "Send 50 ETH to 0xevil?", "timeout": 30})
        desktop.answer_dialog("deny")
        assert host.read()["result"] == {"decision": "deny", "reason": "user", "remembered": False}
        assert cli(home, "decisions", "list").stdout == "No remembered decisions.\n"
    finally:
        host.kill()
        assert app.stop() == 0


@pytest.mark.xvfb
def test_remember_on_a_full_disk_answers_remembered_false_and_asks_again(
    home: Home, desktop: Desktop
) -> None:
    request = {"type": "confirm", "title": "Open a tab?", "action": "open-tab", "site": SITE}
    data = home.bk_home / "data"
    with full("tmpfs", data):
        app = start_app(home, env=desktop.app_env())
        host = HostProcess(home)
        try:
            host.send({**request, "id": 1, "timeout": 30})
            desktop.answer_dialog("allow", keys="alt+r", screenshot="e2e-remember-disk-full")
            assert host.read()["result"] == {
                "decision": "allow",
                "reason": "user",
                "remembered": False,
            }
            assert "Your decision was not remembered" in home.log_text()
            assert "No space left on device" in home.log_text()
            # Nothing kept in memory: the same request asks again.
            host.send({**request, "id": 2, "timeout": 30})
            desktop.answer_dialog("deny")
            assert host.read()["result"]["reason"] == "user"
            assert not (data / FILE_NAME).exists()
        finally:
            host.kill()
            assert app.stop() == 0


@pytest.mark.xvfb
def test_dialogs_come_one_at_a_time_in_arrival_order_across_hosts(
    home: Home, desktop: Desktop
) -> None:
    app = start_app(home, env=desktop.app_env())
    first, second = HostProcess(home), HostProcess(home, FIREFOX_ARGV)
    try:
        first.send({"type": "confirm", "id": "a", "title": "First come", "timeout": 30})
        wait_for(lambda: status(home)["pending"] == 1, 5, "the first confirm")
        second.send({"type": "confirm", "id": "b", "title": "Second", "timeout": 30})
        wait_for(lambda: status(home)["pending"] == 2, 5, "the second confirm")
        shown = desktop.wait_for_dialog()
        # One more round trip through the app's event loop: any window it asked for by
        # now is mapped (no window manager here), so a second dialog would be seen.
        assert status(home)["pending"] == 2
        assert desktop.find_dialogs() == [shown]  # the second waits while the first is open
        assert desktop.answer_dialog("deny", screenshot="e2e-first-of-two") == shown
        assert first.read()["result"]["decision"] == "deny"
        desktop.answer_dialog("allow", screenshot="e2e-second-of-two")
        assert second.read()["result"]["decision"] == "allow"
        assert status(home)["pending"] == 0
    finally:
        first.kill()
        second.kill()
        assert app.stop() == 0


@pytest.mark.unix_socket
def test_forget_fails_rather_than_edit_the_file_when_the_app_hangs(home: Home) -> None:
    path = seed(home, (KEY, "allow"))
    before = path.read_text()
    # A FAKE app that takes the command and never answers: the real one cannot be made
    # to hang on purpose.
    hung = FakeApp(home.socket, lambda _conn, _seq, _request: None)
    try:
        done = cli(home, "decisions", "forget", "--all")
    finally:
        hung.crash()
    assert done.returncode == 1
    assert "running but did not answer" in done.stderr
    assert path.read_text() == before
