"""The prompt queue under the system policy's locks: with remembering locked no decision is
offered, stored or used; with pausing locked nothing pauses; a longer timeout is shortened.
The locks are asked at each use, so a changed policy applies at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.activity import ActivityLog
from app.core.control import ControlError, ControlTable, register_app_controls
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import Dispatcher
from app.core.handlers.basics import register_basics
from app.core.handlers.prompts import register_prompts
from app.core.prompts import Answer
from app.core.queue import Locks, PromptQueue
from tests.unit.test_queue import CHROME, FakeClient, ManualScheduler, RecordingPresenter, Rig

SITE = "https://example.com"


class Switch:
    """The locks in effect, changed by the test as an administrator's edit would."""

    def __init__(self) -> None:
        self.locks = Locks()

    def __call__(self) -> Locks:
        return self.locks


@pytest.fixture
def switch() -> Switch:
    return Switch()


@pytest.fixture
def rig(tmp_path: Path, switch: Switch) -> Rig:
    presenter = RecordingPresenter()
    clock = ManualScheduler()
    decisions = DecisionStore(tmp_path)
    decisions.load()
    activity = ActivityLog()
    dispatcher = Dispatcher(lambda _caller: True)
    queue = PromptQueue(presenter, clock, decisions, activity, locks=switch)
    register_basics(dispatcher, queue, "0.0-test")
    register_prompts(dispatcher, queue, activity, lambda _t, _m: True, lambda _c: "")
    return Rig(dispatcher, queue, presenter, clock, decisions, activity, [])


def confirm(rid: object, **fields: object) -> dict[str, object]:
    return {"type": "confirm", "id": rid, "title": "Open a tab?", **fields}


def test_remember_locked_neither_offers_stores_nor_uses_a_decision(
    rig: Rig, switch: Switch
) -> None:
    rig.decisions.remember(
        DecisionKey("chromium", CHROME.extension, "confirm", "tab", SITE), "allow"
    )
    switch.locks = Locks(remember=False)
    client = FakeClient()
    first = rig.send(client, confirm(1, action="tab", site=SITE))
    assert first not in client.replies  # not answered from memory: asked
    shown = rig.presenter.current
    assert shown is not None
    assert not shown.can_remember
    assert shown.remember_locked  # shown greyed out with the reason, not hidden
    assert rig.queue.remember_locked
    rig.answer(Answer("deny", remember=True))  # a presenter that offered it anyway
    assert client.replies[first]["result"] == {
        "decision": "deny",
        "reason": "user",
        "remembered": False,
    }
    assert [r.decision for r in rig.decisions.all()] == ["allow"]  # nothing new stored
    switch.locks = Locks()  # the policy lifted: the stored decision answers again
    again = rig.send(client, confirm(2, action="tab", site=SITE))
    assert client.replies[again]["result"]["reason"] == "remembered"


def test_remember_locked_is_not_claimed_for_what_is_never_remembered(
    rig: Rig, switch: Switch
) -> None:
    """Only a request that could be remembered says the policy stops it: no action, or
    danger (never remembered anyway), says nothing about the policy."""
    switch.locks = Locks(remember=False)
    client = FakeClient()
    for rid, fields in enumerate([{}, {"action": "pay", "danger": True}]):
        rig.send(client, confirm(rid, **fields))
        shown = rig.presenter.current
        assert shown is not None
        assert (shown.can_remember, shown.remember_locked) == (False, False)
        rig.answer(Answer("deny"))
    switch.locks = Locks()
    rig.send(client, confirm(9, action="tab"))
    shown = rig.presenter.current
    assert shown is not None
    assert (shown.can_remember, shown.remember_locked) == (True, False)


def test_remember_locked_after_the_dialog_opened_still_stores_nothing(
    rig: Rig, switch: Switch
) -> None:
    client = FakeClient()
    seq = rig.send(client, confirm(1, action="tab"))
    switch.locks = Locks(remember=False)
    rig.answer(Answer("allow", remember=True))
    assert client.replies[seq]["result"]["remembered"] is False
    assert rig.decisions.all() == []


def test_pause_locked_refuses_to_pause_and_ignores_an_earlier_pause(
    rig: Rig, switch: Switch
) -> None:
    assert rig.queue.set_paused(True)
    assert rig.queue.paused
    switch.locks = Locks(pause=False)
    assert rig.queue.pause_locked
    assert not rig.queue.paused  # the earlier pause no longer applies
    assert rig.queue.set_paused(True) is False
    client = FakeClient()
    seq = rig.send(client, confirm(1))
    assert seq not in client.replies  # shown, not denied as paused
    assert rig.presenter.current is not None
    status = rig.send(client, {"type": "status"})
    assert client.replies[status]["result"]["paused"] is False
    table = ControlTable()
    register_app_controls(table, "0.0-test", rig.queue, rig.decisions)
    handler = table.get("pause")
    assert handler is not None
    with pytest.raises(ControlError, match="turned off by the system policy"):
        handler({})


def test_max_timeout_shortens_longer_timeouts_only(rig: Rig, switch: Switch) -> None:
    switch.locks = Locks(max_timeout=10)
    client = FakeClient()
    long = rig.send(client, confirm("long", timeout=600))
    assert [p.timeout for p in rig.queue.prompts()] == [10]
    rig.clock.advance(9.5)
    assert long not in client.replies
    rig.clock.advance(0.5)
    assert client.replies[long]["result"] == {
        "decision": "deny",
        "reason": "timeout",
        "remembered": False,
    }
    short = rig.send(client, confirm("short", timeout=5))
    assert [p.timeout for p in rig.queue.prompts()] == [5]
    rig.clock.advance(5)
    assert client.replies[short]["result"]["reason"] == "timeout"
