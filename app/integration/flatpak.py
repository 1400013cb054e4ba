"""What Bridgekeeper places inside a Flatpak browser's ``~/.var/app/<id>``, the one folder
of the home its sandbox sees: a copy of the host (the ``host`` package and a launcher run
by the runtime's ``/usr/bin/python3``; the source tree, the virtual environment and /opt
are invisible inside), beside the manifest that names it.

``~/.var/app/<id>`` is checked before anything is written: it must be a real folder (never
a link, which is not followed) owned by the user and writable by no one else.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

from app.core.files import write_atomically
from app.integration.browsers import Machine, flatpak_home
from app.integration.manifests import host_sources, launcher_text

SANDBOX_PYTHON = "/usr/bin/python3"
"""The interpreter of the Flatpak runtimes browsers use (standard library included)."""
LAUNCHER = "bridgekeeper-host"
PACKAGE = "host"


class SandboxFolderProblem(OSError):
    """``~/.var/app/<id>`` (or a folder above it) cannot be trusted; the message says
    why and what to do."""


def checked_app_folder(app_id: str, machine: Machine, *, create: bool) -> Path:
    """``~/.var/app/<id>``, after checking it and the two folders above it (created 0700
    when absent and ``create``). ``SandboxFolderProblem`` when one is a link, is not a
    folder, or is owned or writable by another user; ``FileNotFoundError`` when absent
    and not ``create``."""
    if sys.platform == "win32":
        raise SandboxFolderProblem("Flatpak browsers exist only on Linux")
    target = flatpak_home(app_id, machine)
    uid = os.getuid()
    for folder in (target.parent.parent, target.parent, target):
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            if not create:
                raise
            os.mkdir(folder, 0o700)
            info = os.lstat(folder)
        if stat.S_ISLNK(info.st_mode):
            raise SandboxFolderProblem(
                f"{folder} is a symbolic link (to {os.readlink(folder)}); Bridgekeeper does "
                "not write through links. Make it a plain folder (move its contents there), "
                "then run `bridgekeeper install` again"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise SandboxFolderProblem(f"{folder} is not a folder; move it away")
        if info.st_uid != uid:
            raise SandboxFolderProblem(
                f"{folder} belongs to user id {info.st_uid}, not to you (user id {uid}): "
                "Bridgekeeper will not place a program there. Remove it (as root if need "
                "be); the browser recreates it"
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise SandboxFolderProblem(
                f"{folder} is writable by other users (mode {stat.S_IMODE(info.st_mode):o}): "
                f"Bridgekeeper will not place a program there. Run `chmod go-w {folder}`"
            )
    return target


def copy_files(folder: Path) -> dict[Path, tuple[bytes, int]]:
    """What the host copy in ``folder`` consists of: each file's bytes and mode."""
    sources = host_sources()
    modules = sorted(sources.glob("*.py"))
    if not modules:
        raise FileNotFoundError(f"the host's source files are missing from {sources}")
    files = {folder / PACKAGE / path.name: (path.read_bytes(), 0o644) for path in modules}
    text = launcher_text(SANDBOX_PYTHON, str(folder))
    files[folder / LAUNCHER] = (text.encode("utf-8"), 0o755)
    return files


def write_copy(folder: Path) -> str:
    """Place (or refresh) the host copy in ``folder``: "wrote" or "unchanged". Modules an
    older copy had and this one has not are removed."""
    files = copy_files(folder)
    changed = False
    (folder / PACKAGE).mkdir(mode=0o755, parents=True, exist_ok=True)
    for path, (data, mode) in files.items():
        try:
            same = path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == mode
        except OSError:
            same = False
        if not same:
            write_atomically(path, data, mode=mode)
            changed = True
    for stale in (folder / PACKAGE).glob("*.py"):
        if stale not in files:
            stale.unlink()
            changed = True
    return "wrote" if changed else "unchanged"


def copy_state(folder: Path) -> str:
    """ "current", "stale" (differs from what this Bridgekeeper would write) or "absent"."""
    if not (folder / LAUNCHER).exists():
        return "absent"
    try:
        files = copy_files(folder)
    except OSError:
        return "stale"
    for path, (data, mode) in files.items():
        try:
            if path.read_bytes() != data or stat.S_IMODE(path.stat().st_mode) != mode:
                return "stale"
        except OSError:
            return "stale"
    extra = {p for p in (folder / PACKAGE).glob("*.py")} - set(files)
    return "stale" if extra else "current"


def is_our_copy(folder: Path) -> bool:
    """A host copy of Bridgekeeper's, whatever its version (a launcher that starts
    ``host.relay`` from this folder)."""
    try:
        text = (folder / LAUNCHER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "from host.relay import main" in text and repr(str(folder)) in text


def remove_copy(folder: Path) -> bool:
    """Remove the host copy in ``folder`` (only ours); True when something was removed."""
    if not is_our_copy(folder):
        return False
    (folder / LAUNCHER).unlink()
    package = folder / PACKAGE
    for path in [*package.glob("*.py"), *(package / "__pycache__").glob("*.pyc")]:
        path.unlink()
    for empty in (package / "__pycache__", package, folder):
        with contextlib.suppress(OSError):
            empty.rmdir()  # kept when something else is in it
    return True
