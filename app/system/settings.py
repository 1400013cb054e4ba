"""The settings file (``settings.json`` in the config folder): the extensions allowed to
use Bridgekeeper, with the names they were given at install time, and the extra profile
folders ``install --user-data-dir`` wrote into. Loaded with the administrator's policy in
effect, whose allowed extensions join the user's (and cannot be removed by the user).

Written atomically and versioned; a file from a newer Bridgekeeper is refused with a clear
message rather than half understood. Keys this version does not know are kept.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.files import write_atomically
from app.system import folders, policy
from app.system.extensions import BadExtension, Extension, parse_extension
from app.system.policy import Policy
from host.caller import Caller

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "settings.json"

__all__ = [
    "FILE_NAME",
    "VERSION",
    "AllowList",
    "BadExtension",
    "Extension",
    "Settings",
    "SettingsError",
    "load",
    "parse_extension",
    "save",
    "settings_file",
]


class SettingsError(Exception):
    """The settings file cannot be used; the message says why and what to do."""


@dataclass
class Settings:
    extensions: list[Extension] = field(default_factory=list)
    """The extensions the user allowed (what the file holds)."""
    user_data_dirs: list[str] = field(default_factory=list)
    """Chromium profile folders (``--user-data-dir``) that install wrote into."""
    other: dict[str, Any] = field(default_factory=dict)
    """Keys of this file that this version does not use; written back unchanged."""
    policy: Policy = field(default_factory=Policy)
    """The administrator's policy in effect (never written to this file)."""

    @property
    def effective(self) -> list[Extension]:
        """Every allowed extension: the policy's first (its name wins), then the user's."""
        merged = {(ext.family, ext.id): ext for ext in self.policy.allowed_extensions}
        for ext in self.extensions:
            known = merged.get((ext.family, ext.id))
            if known is None:
                merged[(ext.family, ext.id)] = ext
            elif not known.name and ext.name:
                merged[(ext.family, ext.id)] = Extension(ext.family, ext.id, ext.name)
        return list(merged.values())

    def allowed(self, family: str) -> list[Extension]:
        """The extensions of ``family`` that manifests allow and the app serves."""
        return [ext for ext in self.effective if ext.family == family]

    def allow(self, extension: Extension) -> bool:
        """Add ``extension`` (or give it a new name); True when something changed."""
        for index, known in enumerate(self.extensions):
            if (known.family, known.id) == (extension.family, extension.id):
                if extension.name and extension.name != known.name:
                    self.extensions[index] = extension
                    return True
                return False
        self.extensions.append(extension)
        return True

    def remove(self, family: str, ident: str) -> Extension | None:
        """Take the user's ``ident`` of ``family`` out; what was removed, or None when the
        user had not allowed it. One the policy allows stays allowed (``is_managed``)."""
        for index, known in enumerate(self.extensions):
            if (known.family, known.id) == (family, ident):
                return self.extensions.pop(index)
        return None

    def is_managed(self, family: str, ident: str) -> bool:
        """True when the administrator's policy allows it (the user cannot remove it)."""
        return any(
            (ext.family, ext.id) == (family, ident) for ext in self.policy.allowed_extensions
        )

    def find(self, family: str, ident: str) -> Extension | None:
        for ext in self.effective:
            if ext.family == family and ext.id == ident:
                return ext
        return None


def settings_file(config: Path | None = None) -> Path:
    return (config if config is not None else folders.config_dir()) / FILE_NAME


def load(path: Path | None = None, managed: Policy | None = None) -> Settings:
    """The settings at ``path`` (default: the config folder's; empty when absent), with
    the policy ``managed`` (default: the one in effect on this machine). Anything else
    that is not a settings file this version understands raises ``SettingsError``, never
    another exception: the allow-list fails closed on it."""
    path = path or settings_file()
    managed = managed if managed is not None else policy.load()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(policy=managed)
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"{path} is not UTF-8 text ({error}); fix or delete it, then run "
            "`bridgekeeper install --extension ID` again"
        ) from error
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        why = "it nests too deep" if isinstance(error, RecursionError) else error
        raise SettingsError(
            f"{path} is not valid JSON ({why}); fix or delete it, then run "
            "`bridgekeeper install --extension ID` again"
        ) from error
    if (
        not isinstance(data, dict)
        or isinstance(data.get("version"), bool)
        or not isinstance(data.get("version"), int)
    ):
        raise SettingsError(f"{path} has no version number; fix or delete it")
    if data["version"] > VERSION:
        raise SettingsError(
            f"{path} was written by a newer Bridgekeeper (settings version {data['version']}, "
            f"this one understands {VERSION}); upgrade Bridgekeeper or move the file away"
        )
    try:
        extensions = [
            Extension(str(item["family"]), str(item["id"]), str(item.get("name", "")))
            for item in data.get("extensions", [])
        ]
        dirs = [str(item) for item in data.get("user_data_dirs", [])]
    except (TypeError, KeyError) as error:
        raise SettingsError(f"{path} has a malformed entry ({error}); fix or delete it") from error
    other = {k: v for k, v in data.items() if k not in ("version", "extensions", "user_data_dirs")}
    return Settings(extensions, dirs, other, managed)


def save(settings: Settings, path: Path | None = None) -> None:
    """Write ``settings`` atomically: a reader sees the old file or the new, never half."""
    path = path or settings_file()
    data: dict[str, Any] = {
        **settings.other,
        "version": VERSION,
        "extensions": [
            {"family": ext.family, "id": ext.id, "name": ext.name} for ext in settings.extensions
        ],
        "user_data_dirs": settings.user_data_dirs,
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"), mode=0o600)


class AllowList:
    """Which extensions the app serves: the user's allowed ones and the policy's. Re-reads
    the settings and the policy when either file changes, so `bridgekeeper install
    --extension` (or an administrator's edit) takes effect at once. Safe to ask from any
    thread (the socket thread answers untrusted callers itself).

    Fails closed: while the settings file cannot be read, none of the user's extensions is
    allowed (``problem`` says why; the log has it, and `bridgekeeper status` shows it),
    never the list read before; the policy's stay allowed (the policy fails closed on its
    own)."""

    def __init__(self, path: Path | None = None, managed: policy.PolicyWatch | None = None) -> None:
        self._path = path or settings_file()
        self._file = os.fspath(self._path)
        self._managed = managed or policy.PolicyWatch()
        self._stamp: tuple[object, ...] | None = None
        self._settings = Settings()
        self._allowed: dict[tuple[str, str], Extension] = {}
        """``_settings.effective`` by family and id (asked on every request)."""
        self._lock = threading.Lock()
        self.problem = ""
        """Why no extension is allowed now, or "" while the file is read fine."""

    def _reread(self) -> Settings:
        managed = self._managed.current()
        try:
            st = os.stat(self._file)
            stamp: tuple[object, ...] = (
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_size,
                st.st_ino,
                id(managed),  # the policy changed: read again
            )
        except FileNotFoundError:
            stamp = (id(managed),)
        except OSError as error:
            return self._closed(None, f"cannot read {self._path}: {error}", managed)
        if stamp == self._stamp:
            return self._settings
        # The stamp and what was read from the file change together, or not at all.
        try:
            settings = load(self._path, managed)
        except SettingsError as error:
            return self._closed(stamp, str(error), managed)
        except Exception as error:  # a bug in load must not leave the old list in force
            log.exception("reading %s failed", self._path)
            return self._closed(stamp, f"cannot read {self._path}: {error!r}", managed)
        self._use(stamp, settings, "")
        return settings

    def _use(self, stamp: tuple[object, ...] | None, settings: Settings, problem: str) -> None:
        self._stamp, self._settings, self.problem = stamp, settings, problem
        self._allowed = {(ext.family, ext.id): ext for ext in settings.effective}

    def _closed(self, stamp: tuple[object, ...] | None, problem: str, managed: Policy) -> Settings:
        # Fail closed: serving anyone because the file is unreadable is worse. Logged once
        # for each version of the file and each reason, not at every request.
        if (stamp, problem) != (self._stamp, self.problem):
            but = " but the system policy's" if managed.allowed_extensions else ""
            log.error("%s; no extension is allowed%s until it is fixed", problem, but)
        self._use(stamp, Settings(policy=managed), problem)
        return self._settings

    def is_allowed(self, caller: Caller) -> bool:
        """True when ``caller``'s extension is in the allowed list."""
        with self._lock:
            self._reread()
            return (caller.family, caller.extension) in self._allowed

    def names(self, caller: Caller) -> str:
        """The install-time name of ``caller``'s extension, or "" when it has none."""
        with self._lock:
            self._reread()
            found = self._allowed.get((caller.family, caller.extension))
        return found.name if found else ""
