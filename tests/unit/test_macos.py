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


@pytest.mark.skipif(sys.platform != "darwin", reason="asks macOS itself")
def test_macos_answers_with_a_private_folder_of_this_user() -> None:
    found = darwin.user_temp_dir()
    assert found is not None
    info = os.lstat(found)
    assert info.st_uid == os.getuid()
    assert not info.st_mode & 0o077
