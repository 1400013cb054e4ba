"""The system policy file on real files: what it sets, what it reports, and that every
broken, mistyped or untrustworthy file fails closed (nothing extra allowed, every lock on)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from app.core.queue import Locks
from app.system import policy, settings
from app.system.extensions import Extension
from app.system.policy import Policy, PolicyWatch
from host.caller import CHROMIUM, FIREFOX, Caller
from tests.support.harness import CHROME_ID, FIREFOX_ID
from tests.support.needs import NOT_ROOT

OTHER_USER = 54321
ROOT_ONLY = pytest.mark.skipif(NOT_ROOT, reason="needs root to give a file away")


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A staging root holding etc/bridgekeeper/ as an administrator would (no
    BRIDGEKEEPER_HOME, so the system rules apply); yields the policy file's path."""
    monkeypatch.delenv("BRIDGEKEEPER_HOME", raising=False)
    root = tmp_path / "root"
    (root / "etc/bridgekeeper").mkdir(parents=True)
    for folder in (root, root / "etc", root / "etc/bridgekeeper"):
        folder.chmod(0o755)
    return root / "etc/bridgekeeper/policy.json"


def write(path: Path, document: Any, mode: int = 0o644) -> Path:
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(path: Path) -> Policy:
    return policy.load(path, root=path.parents[2])


def assert_closed(found: Policy, *fragments: str) -> None:
    assert found.failed_closed
    assert found.allowed_extensions == ()
    assert found.locks == Locks(remember=False, pause=False, max_timeout=60.0)
    assert len(found.problems) == 1
    for fragment in fragments:
        assert fragment in found.problems[0]
    assert (
        "until it is fixed, no extension is allowed by it and every lock is on"
        in (found.problems[0])
    )


def test_no_file_is_no_policy(system: Path) -> None:
    assert load(system) == Policy()
    assert Policy().locks == Locks()
    assert policy.policy_path(root=system.parents[2]) == system


def test_a_full_policy_sets_every_key(system: Path) -> None:
    write(
        system,
        {
            "version": 1,
            "allowed_extensions": [
                f"{CHROME_ID}=Wallet",
                FIREFOX_ID,
                f"chrome-extension://{CHROME_ID}/",
            ],
            "remember": False,
            "pause": False,
            "max_timeout": 30,
        },
    )
    found = load(system)
    assert found == Policy(
        str(system),
        (Extension(CHROMIUM, CHROME_ID, "Wallet"), Extension(FIREFOX, FIREFOX_ID)),
        remember=False,
        pause=False,
        max_timeout=30.0,
    )
    assert found.settings() == [
        f"allows for everyone: {CHROME_ID}, {FIREFOX_ID}",
        "remembering decisions is turned off",
        "pausing prompts is turned off",
        "prompts wait at most 30 s",
    ]


def test_unknown_keys_are_reported_and_the_rest_applied(system: Path) -> None:
    write(system, {"version": 1, "pause": False, "colour": "red", "max_timout": 5})
    found = load(system)
    assert not found.failed_closed
    assert found.locks == Locks(remember=True, pause=False)
    assert len(found.problems) == 2
    assert '"colour"' in found.problems[0]
    assert str(system) in found.problems[0]
    assert '"max_timout"' in found.problems[1]


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("{ not json", "is not valid JSON"),
        (b"\xff\xfe".decode("latin-1"), "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ({"allowed_extensions": []}, 'has no "version": 1'),
        ({"version": "1"}, 'has no "version": 1'),
        ({"version": True}, 'has no "version": 1'),
        ({"version": 2}, "is version 2; this Bridgekeeper understands version 1"),
        ({"version": 1, "allowed_extensions": CHROME_ID}, "must be a list of extension ids"),
        ({"version": 1, "allowed_extensions": [7]}, "must be a list of extension ids"),
        ({"version": 1, "allowed_extensions": ["notanid"]}, "'notanid' is not an extension id"),
        (
            {"version": 1, "allowed_extensions": [CHROME_ID.upper()]},
            "Chromium ids are lower case",
        ),
        ({"version": 1, "remember": "no"}, '"remember" must be true or false, not "no"'),
        ({"version": 1, "pause": 0}, '"pause" must be true or false, not 0'),
        ({"version": 1, "max_timeout": "60"}, '"max_timeout" must be a number of seconds'),
        ({"version": 1, "max_timeout": 4}, "from 5 to 600, not 4"),
        ({"version": 1, "max_timeout": 601}, "from 5 to 600, not 601"),
        ({"version": 1, "max_timeout": True}, "not true"),
        ("[" * 100_000, "is not valid JSON"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_broken_or_mistyped_file_fails_closed_and_says_why(
    system: Path, document: Any, fragment: str
) -> None:
    if isinstance(document, str) and document.startswith("\xff"):
        system.write_bytes(b"\xff\xfe{}")
        system.chmod(0o644)
    else:
        write(system, document)
    assert_closed(load(system), str(system), fragment)


@pytest.mark.parametrize(("mode", "fragment"), [(0o664, "mode 664"), (0o646, "mode 646")])
def test_a_file_others_can_write_fails_closed(system: Path, mode: int, fragment: str) -> None:
    write(system, {"version": 1, "allowed_extensions": [FIREFOX_ID]}, mode)
    assert_closed(load(system), f"the policy file {system} is writable by others", fragment)


def test_a_folder_others_can_write_fails_closed(system: Path) -> None:
    write(system, {"version": 1, "allowed_extensions": [FIREFOX_ID]})
    system.parent.parent.chmod(0o777)
    assert_closed(load(system), f"the folder {system.parent.parent} is writable by others")


@ROOT_ONLY
def test_a_file_owned_by_a_user_fails_closed(system: Path) -> None:
    write(system, {"version": 1, "allowed_extensions": [FIREFOX_ID]})
    os.chown(system, OTHER_USER, OTHER_USER)
    assert_closed(load(system), f"is owned by user id {OTHER_USER}, not root")


@ROOT_ONLY
def test_a_folder_owned_by_a_user_fails_closed(system: Path) -> None:
    write(system, {"version": 1})
    os.chown(system.parent, OTHER_USER, OTHER_USER)
    assert_closed(load(system), f"the folder {system.parent} is owned by user id {OTHER_USER}")


def test_a_link_is_not_followed(system: Path, tmp_path: Path) -> None:
    target = write(tmp_path / "elsewhere.json", {"version": 1, "allowed_extensions": [FIREFOX_ID]})
    system.symlink_to(target)
    assert_closed(load(system), "is a symbolic link")


def test_a_fifo_fails_closed_without_blocking(system: Path) -> None:
    os.mkfifo(system, 0o644)
    done: list[Policy] = []
    reader = threading.Thread(target=lambda: done.append(load(system)), daemon=True)
    reader.start()
    reader.join(5)
    assert done, "reading the policy blocked on a FIFO"
    assert_closed(done[0], "is not a plain file")


def test_a_huge_file_fails_closed(system: Path) -> None:
    write(system, json.dumps({"version": 1, "pad": "x" * policy.MAX_BYTES}))
    assert_closed(load(system), f"larger than {policy.MAX_BYTES} bytes")


def test_under_bridgekeeper_home_the_users_own_file_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "bk"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(home))
    assert policy.policy_path() == home / "policy.json"
    write(home / "policy.json", {"version": 1, "remember": False})
    assert policy.load().locks == Locks(remember=False)
    (home / "policy.json").chmod(0o666)
    assert policy.load().failed_closed


def test_settings_merge_the_policys_extensions_and_the_user_cannot_remove_them(
    system: Path,
) -> None:
    write(system, {"version": 1, "allowed_extensions": [f"{CHROME_ID}=Wallet"]})
    managed = load(system)
    config = settings.Settings(
        [Extension(CHROMIUM, CHROME_ID, "Mine"), Extension(FIREFOX, FIREFOX_ID)], policy=managed
    )
    assert config.allowed(CHROMIUM) == [Extension(CHROMIUM, CHROME_ID, "Wallet")]
    assert config.effective == [
        Extension(CHROMIUM, CHROME_ID, "Wallet"),
        Extension(FIREFOX, FIREFOX_ID),
    ]
    assert config.remove(CHROMIUM, CHROME_ID) == Extension(CHROMIUM, CHROME_ID, "Mine")
    assert config.is_managed(CHROMIUM, CHROME_ID)
    assert config.find(CHROMIUM, CHROME_ID) is not None  # still allowed, by the policy
    assert config.remove(FIREFOX, FIREFOX_ID) == Extension(FIREFOX, FIREFOX_ID)
    assert config.remove(FIREFOX, FIREFOX_ID) is None
    assert config.effective == [Extension(CHROMIUM, CHROME_ID, "Wallet")]


def test_the_watch_follows_edits_and_mode_changes(system: Path) -> None:
    watch = PolicyWatch(system, system.parents[2])
    assert watch.locks() == Locks()
    write(system, {"version": 1, "pause": False})
    assert watch.locks() == Locks(pause=False)
    first = watch.current()
    assert watch.current() is first  # unchanged file: not read again
    system.chmod(0o666)  # same bytes, now untrustworthy
    assert watch.current().failed_closed
    system.unlink()
    assert watch.current() == Policy()
    # No file: its folder is not looked at, but a file written into an unsafe folder is
    # seen as such, and so is a folder made unsafe under a file.
    system.parent.chmod(0o777)
    assert watch.current() == Policy()
    write(system, {"version": 1, "pause": False})
    assert watch.current().failed_closed
    system.parent.chmod(0o755)
    assert watch.locks() == Locks(pause=False)
    system.parent.chmod(0o775)
    assert watch.current().failed_closed


def test_the_allow_list_follows_policy_and_settings_edits_at_once(
    system: Path, tmp_path: Path
) -> None:
    chrome, firefox = Caller(CHROMIUM, CHROME_ID), Caller(FIREFOX, FIREFOX_ID)
    mine = tmp_path / "settings.json"
    allow = settings.AllowList(mine, PolicyWatch(system, system.parents[2]))
    assert not allow.is_allowed(chrome)
    assert not allow.is_allowed(firefox)
    write(system, {"version": 1, "allowed_extensions": [f"{CHROME_ID}=Wallet"]})
    assert allow.is_allowed(chrome)
    assert allow.names(chrome) == "Wallet"
    assert not allow.is_allowed(firefox)
    settings.save(settings.Settings([Extension(FIREFOX, FIREFOX_ID, "Fox")]), mine)
    assert allow.is_allowed(firefox)
    assert allow.names(firefox) == "Fox"
    assert allow.is_allowed(chrome)
    system.chmod(0o666)  # same bytes, now untrustworthy: the policy's are gone
    assert not allow.is_allowed(chrome)
    assert allow.names(chrome) == ""
    assert allow.is_allowed(firefox)
    # Swapped in by a rename, as an editor saves: the folder's change is noticed.
    staged = system.with_name("policy.json.new")
    write(staged, {"version": 1, "allowed_extensions": [FIREFOX_ID]})
    staged.replace(system)
    assert not allow.is_allowed(chrome)
    assert allow.is_allowed(firefox)
    assert allow.names(firefox) == "Fox"
    mine.unlink()
    assert allow.is_allowed(firefox)
    assert allow.names(firefox) == ""
    system.unlink()
    assert not allow.is_allowed(firefox)
