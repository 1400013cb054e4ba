"""macOS: where the socket lives (``host.darwin``), from the system's answer for this
user's private temporary folder, never a guessable path under /tmp. The system call is
given as a stand-in here (this is not macOS); the folders are real."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from host import darwin
from host.transport import MAX_SOCKET_PATH, SOCKET_NAME

MAC_TEMP = "/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/"
"""The shape of a real _CS_DARWIN_USER_TEMP_DIR answer."""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners and modes")


def answers(value: str | None) -> Callable[[int], str | None]:
    """A stand-in for ``os.confstr`` that answers ``value`` for the temporary folder."""

    def confstr(name: int) -> str | None:
        assert name == darwin.CS_DARWIN_USER_TEMP_DIR
        return value

    return confstr


def test_the_systems_per_user_folder_wins_over_the_environment(tmp_path: Path) -> None:
    private = tmp_path / "elsewhere"
    private.mkdir(mode=0o700)
    found = darwin.runtime_dir(answers(MAC_TEMP), {"TMPDIR": str(private)})
    assert found == os.path.join(MAC_TEMP, "bridgekeeper")


def test_socket_path_under_it_stays_short() -> None:
    found = darwin.runtime_dir(answers(MAC_TEMP), {})
    assert found is not None
    assert len(os.path.join(found, SOCKET_NAME).encode()) <= MAX_SOCKET_PATH


def test_without_an_answer_a_private_tmpdir_of_ours_serves(tmp_path: Path) -> None:
    private = tmp_path / "T"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    assert darwin.runtime_dir(answers(None), {"TMPDIR": str(private)}) == str(
        private / "bridgekeeper"
    )


@pytest.mark.parametrize("mode", [0o755, 0o1777, 0o770, 0o701])
def test_a_tmpdir_others_can_open_is_refused(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    assert darwin.runtime_dir(answers(None), {"TMPDIR": str(shared)}) is None


def test_slash_tmp_is_never_chosen() -> None:
    assert darwin.runtime_dir(answers(None), {"TMPDIR": "/tmp"}) is None
    assert darwin.runtime_dir(answers(None), {}) is None
    assert darwin.runtime_dir(answers(""), {}) is None


def test_a_tmpdir_that_is_a_link_is_refused_even_to_a_private_folder(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(private)
    assert darwin.runtime_dir(answers(None), {"TMPDIR": str(link)}) is None


def test_a_missing_tmpdir_is_refused(tmp_path: Path) -> None:
    assert darwin.runtime_dir(answers(None), {"TMPDIR": str(tmp_path / "gone")}) is None


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="needs root to give a folder away"
)
def test_a_tmpdir_of_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    assert darwin.runtime_dir(answers(None), {"TMPDIR": str(theirs)}) is None


@pytest.mark.skipif(sys.platform != "darwin", reason="needs macOS (confstr's per-user temp folder)")
def test_macos_answers_with_a_private_folder_of_this_user() -> None:
    found = darwin.user_temp_dir()
    assert found is not None
    info = os.lstat(found)
    assert info.st_uid == os.getuid()
    assert not info.st_mode & 0o077


# --- The transport's choice ------------------------------------------------------------


def test_the_transport_puts_the_socket_there_when_the_platform_is_macos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``host.transport`` on macOS asks ``host.darwin``: with no system answer (this is
    Linux, where ``confstr`` knows no such name) a private ``$TMPDIR`` serves, and one
    that others can open leaves no safe place, said with what to do. ``sys.platform``
    says macOS for the duration (FAKE: the rest of the process is Linux)."""
    from host import transport

    private = tmp_path / "T"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    monkeypatch.delenv("BRIDGEKEEPER_HOME", raising=False)
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(sys, "platform", "darwin")
    assert transport.socket_path() == str(private / "bridgekeeper" / SOCKET_NAME)
    private.chmod(0o1777)
    with pytest.raises(transport.SocketPathError) as refused:
        transport.socket_path()
    assert "$TMPDIR" in refused.value.problem
    assert "BRIDGEKEEPER_HOME" in refused.value.fix


@pytest.mark.skipif(sys.platform != "darwin", reason="needs macOS (its per-user temp folder)")
def test_on_macos_the_socket_is_in_the_users_own_temporary_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from host import transport

    monkeypatch.delenv("BRIDGEKEEPER_HOME", raising=False)
    monkeypatch.setenv("TMPDIR", "/tmp")  # a browser's odd environment changes nothing
    found = darwin.user_temp_dir()
    assert found is not None
    assert transport.socket_path() == os.path.join(found, "bridgekeeper", SOCKET_NAME)
    assert not transport.socket_path().startswith("/tmp/")
