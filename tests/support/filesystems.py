"""A real full file system for tests: a small tmpfs filled to its last byte (as root,
where mounting works), or a file-size limit of 0 bytes on this process (``RLIMIT_FSIZE``,
with ``SIGXFSZ`` ignored, so a write fails with ``EFBIG`` instead of killing it)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FULL_KINDS = ("tmpfs", "file-size-limit")
"""The two ways a test can meet a full disk; parametrize over them."""


def mount_small_tmpfs(folder: Path, size: str = "64k") -> None:
    """Mount a tmpfs of ``size`` on ``folder`` (created 0700); skips the test when this
    machine does not let us mount."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


def unmount(folder: Path) -> None:
    # Lazily: a process a failed test left behind may still hold a file there.
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path) -> None:
    """Write ``folder``'s file system full: a ballast file grows until ENOSPC."""
    chunk = b"\0" * 4096
    with open(folder / "ballast", "wb", buffering=0) as ballast:
        for _ in range(1_000_000):
            try:
                ballast.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
        else:
            raise AssertionError(f"{folder} never filled up")


@contextmanager
def small_full_filesystem(folder: Path) -> Iterator[Path]:
    """``folder`` as the mount point of a tmpfs with no byte free left."""
    mount_small_tmpfs(folder)
    try:
        fill(folder)
        yield folder
    finally:
        unmount(folder)


@contextmanager
def file_size_limit(limit: int = 0) -> Iterator[None]:
    """While the block runs, no file of this process may grow past ``limit`` bytes."""
    import resource  # POSIX only: imported here, so the module loads on Windows

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@contextmanager
def full(kind: str, folder: Path) -> Iterator[None]:
    """Writes into ``folder`` fail while the block runs, as on a full disk: ``kind`` is
    one of ``FULL_KINDS``. With ``tmpfs``, ``folder`` must be empty; it becomes the mount
    point, and what is written there before the block is gone after it."""
    if kind == "tmpfs":
        with small_full_filesystem(folder):
            yield
    else:
        folder.mkdir(parents=True, exist_ok=True)
        with file_size_limit(0):
            yield
