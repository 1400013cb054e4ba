"""The administrator's policy file (SPEC 1.1 "System policy"): extensions allowed for
every user, and locks on remembering, pausing and long timeouts.

Linux ``/etc/bridgekeeper/policy.json``, macOS ``/Library/Application Support/Bridgekeeper/
policy.json``; under ``BRIDGEKEEPER_HOME``, ``$BRIDGEKEEPER_HOME/policy.json``. A file that
does not parse, has a wrong type, names a malformed id, or that anyone but root could have
written (the file or a folder above it) fails closed: nothing extra allowed, every lock on.
Unknown keys are reported and the rest applied. Checked as OpenSSH checks its files: by
``lstat``, owner and mode, never through a link. Plain Python, no Qt.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.handlers.prompts import TIMEOUT_DEFAULT, TIMEOUT_MAX, TIMEOUT_MIN
from app.core.queue import Locks
from app.system.extensions import BadExtension, Extension, parse_extension

if TYPE_CHECKING:
    from app.system.registry import Registry

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "policy.json"
MAX_BYTES = 1_048_576
KEYS = ("version", "allowed_extensions", "remember", "pause", "max_timeout")
LINUX_PATH = "/etc/bridgekeeper/policy.json"
MACOS_PATH = "/Library/Application Support/Bridgekeeper/policy.json"
WINDOWS_KEY = r"Software\Policies\Bridgekeeper"
WINDOWS_VALUE = "Policy"
"""Windows: the policy is this string value (REG_SZ) of ``HKLM\\Software\\Policies\\
Bridgekeeper``, holding the same JSON document as the file elsewhere."""
WINDOWS_SOURCE = f"HKLM\\{WINDOWS_KEY}\\{WINDOWS_VALUE}"
WINDOWS_REREAD_S = 1.0
"""How often the app looks at the registry value again (a file's change is seen by its
stamp; a registry value has none that costs less than reading it)."""


@dataclass(frozen=True)
class Policy:
    """The policy in effect. ``Policy()`` is no policy: nothing added, nothing locked."""

    source: str = ""
    """The file it was read from ("" when there is none)."""
    allowed_extensions: tuple[Extension, ...] = ()
    remember: bool = True
    """False: no remembered decisions, none offered or used."""
    pause: bool = True
    """False: prompts cannot be paused."""
    max_timeout: float | None = None
    """Longer timeouts are shortened to this many seconds."""
    problems: tuple[str, ...] = ()
    """What is wrong with the file, each a sentence naming it; reported by status and doctor."""
    failed_closed: bool = False
    """The file could not be used: nothing extra allowed, every lock on."""

    @property
    def locks(self) -> Locks:
        return Locks(self.remember, self.pause, self.max_timeout)

    def settings(self) -> list[str]:
        """What the policy sets, one phrase each (for status, doctor and the tray)."""
        said = []
        if self.allowed_extensions:
            ids = ", ".join(ext.id for ext in self.allowed_extensions)
            said.append(f"allows for everyone: {ids}")
        if not self.remember:
            said.append("remembering decisions is turned off")
        if not self.pause:
            said.append("pausing prompts is turned off")
        if self.max_timeout is not None:
            said.append(f"prompts wait at most {self.max_timeout:g} s")
        return said


def _closed(source: str, problem: str) -> Policy:
    """The policy of a file that cannot be used: allow nothing extra, lock everything."""
    return Policy(
        source,
        remember=False,
        pause=False,
        max_timeout=TIMEOUT_DEFAULT,
        problems=(
            f"{problem}; until it is fixed, no extension is allowed by it and every "
            "lock is on (nothing remembered, no pausing, prompts wait at most "
            f"{TIMEOUT_DEFAULT:g} s)",
        ),
        failed_closed=True,
    )


def policy_path(platform: str | None = None, root: Path = Path("/")) -> Path | None:
    """Where the policy lives on this machine (``root`` prefixes a system path; a
    packager's staging root). None where no file is read (Windows, whose machine policy
    is a registry value: ``load_registry``)."""
    home = os.environ.get("BRIDGEKEEPER_HOME")
    if home:
        return Path(home).absolute() / FILE_NAME
    platform = platform or sys.platform
    if platform == "win32":
        return None
    system = MACOS_PATH if platform == "darwin" else LINUX_PATH
    return root / system.lstrip("/")


def _trusted_owners(path: Path, root: Path) -> tuple[frozenset[int], Path]:
    """Who may own the file and the folders above it, and the last folder checked. Under
    BRIDGEKEEPER_HOME (tests, benchmarks) the user's own folder is theirs to write."""
    home = os.environ.get("BRIDGEKEEPER_HOME")
    if home and path.parent == Path(home).absolute():
        if sys.platform == "win32":
            return frozenset({0}), path.parent  # unused there: see _unsafe
        return frozenset({0, os.getuid()}), path.parent
    return frozenset({0}), root if path.is_relative_to(root) else Path(path.anchor)


def _unsafe(path: Path, info: os.stat_result, owners: frozenset[int], what: str) -> str:
    if sys.platform == "win32":
        # Windows reads a policy file only under BRIDGEKEEPER_HOME, the user's own folder
        # (policy_path: the machine's policy is in HKLM, which only administrators
        # write: load_registry); its owner and mode bits say nothing there (st_uid
        # is 0, the mode mirrors the read-only attribute), and its access list is not read.
        return ""
    if info.st_uid not in owners:
        return f"{what} {path} is owned by user id {info.st_uid}, not root"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{what} {path} is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
    return ""


def load(path: Path | None = None, root: Path = Path("/")) -> Policy:
    """The policy at ``path`` (default: this machine's; on Windows its registry value);
    ``Policy()`` when there is none. The folders above it are checked up to ``root`` (a
    packager's staging root)."""
    if path is None:
        path = policy_path(root=root)
        if path is None:
            return load_registry()
    source = str(path)
    owners, anchor = _trusted_owners(path, root)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Policy()
    except OSError as error:
        return _closed(source, f"cannot read the policy file {path}: {error.strerror}")
    if stat.S_ISLNK(info.st_mode):
        return _closed(source, f"the policy file {path} is a symbolic link (use a plain file)")
    if not stat.S_ISREG(info.st_mode):
        return _closed(source, f"the policy file {path} is not a plain file")
    problem = _unsafe(path, info, owners, "the policy file")
    folder = path.parent
    while not problem:
        try:
            above = os.lstat(folder)
        except OSError as error:
            problem = f"cannot check the folder {folder}: {error.strerror}"
            break
        if stat.S_ISLNK(above.st_mode):
            problem = f"the folder {folder} is a symbolic link"
        else:
            problem = _unsafe(folder, above, owners, "the folder")
        if folder in (anchor, folder.parent):
            break
        folder = folder.parent
    if problem:
        return _closed(source, problem)
    try:
        text = _read(path, info)
    except OSError as error:
        return _closed(source, f"cannot read the policy file {path}: {error}")
    return parse(text, source)


def load_registry(registry: Registry | None = None) -> Policy:
    """Windows: the policy in ``HKLM\\Software\\Policies\\Bridgekeeper``, value ``Policy``
    (``Policy()`` when there is none). Only administrators can write under
    ``HKLM\\Software\\Policies`` (its default access list), which is what the file's owner
    and mode checks stand for elsewhere; this key is shared by the 32- and 64-bit views."""
    if registry is None:
        from app.system.registry import WindowsRegistry

        registry = WindowsRegistry("HKLM")
    try:
        text = registry.get(WINDOWS_KEY, WINDOWS_VALUE)
    except OSError as error:
        return _closed(WINDOWS_SOURCE, f"cannot read the policy {WINDOWS_SOURCE}: {error}")
    if text is None:
        return Policy()
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        return _closed(
            WINDOWS_SOURCE, f"the policy {WINDOWS_SOURCE} is larger than {MAX_BYTES} bytes"
        )
    return parse(data, WINDOWS_SOURCE)


def _read(path: Path, seen: os.stat_result) -> bytes:
    """The file's bytes, opened without following a link or blocking on a FIFO, and only
    if it is still the file that was checked."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino) or not stat.S_ISREG(now.st_mode):
            raise OSError("it changed while it was being read")
        with os.fdopen(os.dup(fd), "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise OSError(f"it is larger than {MAX_BYTES} bytes")
    return data


def parse(data: bytes, source: str) -> Policy:
    """The policy written in ``data`` (read from ``source``)."""
    what = "the policy" if source == WINDOWS_SOURCE else "the policy file"
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return _closed(source, f"{what} {source} is not valid JSON ({error})")
    if not isinstance(document, dict):
        return _closed(source, f"{what} {source} is not a JSON object")
    version = document.get("version")
    if type(version) is not int:
        return _closed(source, f'{what} {source} has no "version": 1')
    if version > VERSION:
        return _closed(
            source,
            f"{what} {source} is version {version}; this Bridgekeeper understands "
            f"version {VERSION}",
        )
    try:
        extensions = _extensions(document.get("allowed_extensions", []))
        remember = _flag(document, "remember")
        pause = _flag(document, "pause")
        max_timeout = _max_timeout(document.get("max_timeout"))
    except ValueError as error:
        return _closed(source, f"{what} {source}: {error}")
    unknown = sorted(key for key in document if key not in KEYS)
    problems = tuple(
        f'{what} {source} has a key this Bridgekeeper does not know, "{key}" '
        f"(ignored; it knows {', '.join(KEYS)})"
        for key in unknown
    )
    return Policy(source, extensions, remember, pause, max_timeout, problems)


def _extensions(items: Any) -> tuple[Extension, ...]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError('"allowed_extensions" must be a list of extension ids (strings)')
    found: dict[tuple[str, str], Extension] = {}
    for item in items:
        try:
            extension = parse_extension(item)
        except BadExtension as error:
            raise ValueError(f'"allowed_extensions": {error}') from error
        found.setdefault((extension.family, extension.id), extension)
    return tuple(found.values())


def _flag(document: dict[str, Any], key: str) -> bool:
    value = document.get(key, True)
    if not isinstance(value, bool):
        raise ValueError(f'"{key}" must be true or false, not {json.dumps(value)}')
    return value


def _max_timeout(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) not in (int, float) or not TIMEOUT_MIN <= value <= TIMEOUT_MAX:
        raise ValueError(
            f'"max_timeout" must be a number of seconds from {TIMEOUT_MIN:g} to '
            f"{TIMEOUT_MAX:g}, not {json.dumps(value)}"
        )
    return float(value)


def _machine_registry() -> Registry | None:
    """HKLM on Windows when the policy is not a file there (no ``BRIDGEKEEPER_HOME``)."""
    if sys.platform != "win32" or policy_path() is not None:
        return None
    from app.system.registry import WindowsRegistry

    return WindowsRegistry("HKLM")


@dataclass
class PolicyWatch:
    """The policy in effect, re-read when the file or its folder changes (an
    administrator's edit takes effect without a restart). Safe to ask from any thread;
    ``path`` is fixed once made."""

    path: Path | None = field(default_factory=policy_path)
    root: Path = Path("/")
    """The top folder checked above the file (as for ``load``)."""
    registry: Registry | None = field(default_factory=_machine_registry)
    """Windows, where ``path`` is None: the registry the policy is read from, again every
    ``WINDOWS_REREAD_S``. None elsewhere."""
    _stamp: tuple[int, ...] | None = None
    _policy: Policy = field(default_factory=Policy)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _watched: tuple[str, ...] = field(default=(), init=False, repr=False)
    """The file and its folder, as strings (looked at on every request)."""

    def __post_init__(self) -> None:
        path = self.path
        self._watched = () if path is None else (str(path), str(path.parent))

    def current(self) -> Policy:
        with self._lock:
            if self.path is None and self.registry is not None:
                stamp: tuple[int, ...] = (int(time.monotonic() // WINDOWS_REREAD_S),)
            else:
                stamp = _stamp(self._watched)
            if stamp != self._stamp:
                self._stamp = stamp
                if self.path is not None:
                    self._policy = load(self.path, self.root)
                elif self.registry is not None:
                    self._policy = load_registry(self.registry)
                else:
                    self._policy = Policy()
                for problem in self._policy.problems:
                    log.error("system policy: %s", problem)
                if self._policy.source and not self._policy.failed_closed:
                    said = "; ".join(self._policy.settings()) or "nothing"
                    log.info("system policy %s: %s", self._policy.source, said)
            return self._policy

    def locks(self) -> Locks:
        return self.current().locks


def _stamp(paths: tuple[str, ...]) -> tuple[int, ...]:
    """What changes when the policy file (``paths[0]``) or its folder changes. Without
    the file there is no policy, whatever its folder (``load``): the folder is then not
    looked at (one system call fewer on every request)."""
    stamp: tuple[int, ...] = ()
    for item in paths:
        try:
            info = os.lstat(item)
        except FileNotFoundError:
            if not stamp:
                return (0,)  # no file
            stamp += (0, 0, 0, 0, 0, 0)
            continue
        except OSError:
            stamp += (0, 0, 0, 0, 0, 0)
            continue
        stamp += (
            info.st_ino,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_size,
            info.st_mode,
            info.st_uid,
        )
    return stamp
