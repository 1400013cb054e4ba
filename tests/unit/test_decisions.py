"""Remembered decisions on disk: round trips, bad files kept aside and reported, and a
writer killed with SIGKILL mid-write never leaving an unreadable file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.decisions import FILE_NAME, DecisionKey, DecisionsFileError, DecisionStore
from tests.support.filesystems import FULL_KINDS, file_size_limit, full

KEY = DecisionKey("chromium", "a" * 32, "confirm", "open-tab", "https://example.com")
OTHER = DecisionKey("firefox", "demo@example.org", "secret.get", "token", "")


def loaded(folder: Path) -> DecisionStore:
    store = DecisionStore(folder)
    store.load()
    return store


def test_decisions_survive_a_restart_in_a_versioned_file(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    store.remember(KEY, "allow")
    store.remember(OTHER, "deny")
    again = loaded(tmp_path)
    assert (again.lookup(KEY), again.lookup(OTHER)) == ("allow", "deny")
    document = json.loads((tmp_path / FILE_NAME).read_text())
    assert document["version"] == 1
    assert [d["id"] for d in document["decisions"]] == [KEY.short_id, OTHER.short_id]
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temp file left behind


def test_short_id_is_stable_and_distinct() -> None:
    assert (
        KEY.short_id
        == DecisionKey(
            *("chromium", "a" * 32, "confirm", "open-tab", "https://example.com")
        ).short_id
    )
    assert len(KEY.short_id) == 12
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert DecisionKey("ab", "c", "t", "x").short_id != DecisionKey("a", "bc", "t", "x").short_id


def test_forget_one_and_all(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    store.remember(KEY, "allow")
    store.remember(OTHER, "allow")
    assert store.forget("nope") is False
    assert store.forget(KEY.short_id) is True
    assert loaded(tmp_path).lookup(KEY) is None
    assert loaded(tmp_path).lookup(OTHER) == "allow"
    assert store.forget_all() == 1
    assert loaded(tmp_path).all() == []


VALID = json.dumps(
    {
        "version": 1,
        "decisions": [
            {
                "family": "chromium",
                "extension": "e",
                "type": "confirm",
                "action": "a",
                "site": "",
                "decision": "allow",
                "created": 1.0,
            }
        ],
    }
)
BAD_FILES = {
    "truncated": VALID[: len(VALID) // 2],
    "garbage": "\x00\x17not json at all",
    "empty": "",
    "newer-version": json.dumps({"version": 2, "decisions": []}),
    "no-version": json.dumps({"decisions": []}),
    "bad-entry": json.dumps({"version": 1, "decisions": [{"family": "x"}]}),
    "bad-decision": VALID.replace('"allow"', '"maybe"'),
    # Times no clock gave: `decisions list` could not show them as a date.
    "created-1e20": VALID.replace('"created": 1.0', '"created": 1e20'),
    "created-infinity": VALID.replace('"created": 1.0', '"created": Infinity'),
    "created-nan": VALID.replace('"created": 1.0', '"created": NaN'),
    "created-before-1970": VALID.replace('"created": 1.0', '"created": -5'),
    "created-huge-integer": VALID.replace('"created": 1.0', '"created": ' + "9" * 400),
    "nested-1000-deep": '{"version": 1, "decisions": ' + "[" * 1000 + "]" * 1000 + "}",
    "nested-100000-deep": "[" * 100_000,
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_unusable_file_is_moved_aside_and_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(content, encoding="utf-8")
    problems: list[str] = []
    store = DecisionStore(tmp_path)
    store.problems.add(problems.append)
    store.load()
    assert store.all() == []
    [aside] = [p for p in tmp_path.iterdir() if p.name != FILE_NAME]
    assert aside.name.startswith(f"{FILE_NAME}.unreadable-")
    assert aside.read_text(encoding="utf-8") == content  # kept, byte for byte
    assert not path.exists()
    [problem] = problems
    assert str(path) in problem
    assert str(aside) in problem
    assert store.problem == problem
    if "newer" in content or '"version": 2' in content:
        assert "newer Bridgekeeper" in problem
    if '"created": 1.0' not in content and "created" in content:
        assert "impossible time in 'created'" in problem
    # New decisions go to a fresh file; the kept one is never overwritten.
    store.remember(KEY, "deny")
    assert aside.read_text(encoding="utf-8") == content
    assert loaded(tmp_path).lookup(KEY) == "deny"


def test_second_bad_file_gets_its_own_aside_name(tmp_path: Path) -> None:
    for _ in range(2):
        (tmp_path / FILE_NAME).write_text("garbage")
        loaded(tmp_path)
    assert len([p for p in tmp_path.iterdir() if "unreadable" in p.name]) == 2


def test_without_move_aside_a_bad_file_raises_and_stays(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text('{"version": 9}')
    with pytest.raises(DecisionsFileError, match="newer Bridgekeeper"):
        DecisionStore(tmp_path).load(move_aside=False)
    assert (tmp_path / FILE_NAME).read_text() == '{"version": 9}'


@pytest.mark.parametrize("created", ["1e20", "Infinity", "-Infinity"])
def test_without_move_aside_an_impossible_time_is_a_clear_error(
    tmp_path: Path, created: str
) -> None:
    text = VALID.replace('"created": 1.0', f'"created": {created}')
    (tmp_path / FILE_NAME).write_text(text)
    with pytest.raises(DecisionsFileError, match=r"entry 0 has an impossible time in 'created'"):
        DecisionStore(tmp_path).load(move_aside=False)
    assert (tmp_path / FILE_NAME).read_text() == text


def test_a_time_up_to_the_year_3000_is_kept(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(VALID.replace('"created": 1.0', '"created": 32503679999'))
    assert [r.created for r in loaded(tmp_path).all()] == [32503679999.0]


def test_keys_with_any_string_survive_a_round_trip(tmp_path: Path) -> None:
    # A lone surrogate can come from JSON ("\ud800") or from argv: writing must not fail.
    odd = DecisionKey("firefox", "x\ud800@example.org", "confirm", "a", "https://\u0430pple.com")
    store = loaded(tmp_path)
    assert store.remember(odd, "deny") is True
    assert loaded(tmp_path).lookup(odd) == "deny"


@pytest.mark.parametrize("kind", FULL_KINDS)
def test_remember_on_a_full_disk_says_false_and_keeps_nothing(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "data"
    store = DecisionStore(folder)
    problems: list[str] = []
    changes: list[None] = []
    store.problems.add(problems.append)
    store.changed.add(lambda: changes.append(None))
    with full(kind, folder):
        store.load()
        assert store.remember(KEY, "allow") is False
        assert store.lookup(KEY) is None  # not answered from memory either
        assert store.all() == []
        assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    [problem] = problems
    assert problem.startswith(f"Your decision was not remembered: {folder / FILE_NAME}")
    assert store.problem == problem
    assert changes == []


def test_remember_that_cannot_be_written_keeps_the_decision_before_it(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    assert store.remember(KEY, "deny") is True
    with file_size_limit(0):
        assert store.remember(KEY, "allow") is False
    assert store.lookup(KEY) == "deny"
    assert loaded(tmp_path).lookup(KEY) == "deny"


def test_forget_that_cannot_be_written_is_reported_and_holds_for_this_session(
    tmp_path: Path,
) -> None:
    store = loaded(tmp_path)
    problems: list[str] = []
    store.problems.add(problems.append)
    store.remember(KEY, "allow")
    with file_size_limit(0):
        assert store.forget(KEY.short_id) is True
    assert store.lookup(KEY) is None  # asking again is the safe side
    assert "could not be saved" in problems[0]
    assert loaded(tmp_path).lookup(KEY) == "allow"  # and the user was told it comes back


WRITER = """
import sys, time
from pathlib import Path
from app.core.decisions import DecisionKey, DecisionStore
store = DecisionStore(Path(sys.argv[1]))
store.load(move_aside=False)
print("ready", flush=True)
for i in range(50):
    print(f"writing {i}", flush=True)
    # Growing files make each write take longer, so kills land mid-write more often.
    store.remember(DecisionKey("chromium", "e" * 32, "confirm", f"action-{i}", "x" * 2000), "allow")
"""


def test_sigkill_during_50_writes_always_leaves_a_readable_file(tmp_path: Path) -> None:
    # Killed as write number k starts (it says so first): before k, during it, or a few
    # writes later, as the two processes' timing has it. Whatever it hit, the file reads,
    # and the k writes that had returned before the kill are all in it.
    for k in (0, 1, 3, 8, 15, 25, 40, 49):
        folder = tmp_path / str(k)
        folder.mkdir()
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        for i in range(k + 1):
            assert writer.stdout.readline() == f"writing {i}\n".encode()
        writer.kill()  # SIGKILL; TerminateProcess on Windows
        writer.wait()
        writer.stdout.close()
        store = DecisionStore(folder)
        store.load(move_aside=False)  # raises if the file were unreadable
        store.load()  # as the app does: also sweeps a temp file the kill left behind
        assert [p.name for p in folder.iterdir()] in ([], [FILE_NAME])
        count = len(store.all())
        assert k <= count <= 50
        assert sorted(r.key.action for r in store.all()) == sorted(
            f"action-{i}" for i in range(count)
        )
