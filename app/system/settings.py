"""The settings file (``settings.json`` in the config folder): the extensions allowed to
use Bridgekeeper, with the names they were given at install time, and the extra profile
folders ``install --user-data-dir`` wrote into.

Written atomically and versioned; a file from a newer Bridgekeeper is refused with a clear
message rather than half understood. Keys this version does not know are kept.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.files import write_atomically
from app.system import folders
from host.caller import CHROME_ORIGIN_PREFIX, CHROMIUM, FIREFOX, Caller

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "settings.json"
_CHROMIUM_ID = re.compile(r"[a-p]{32}")
# Firefox add-on ids: an email-like id or a {GUID}; we accept any printable id without
# spaces, quotes or '=' (the '=' separates the install-time name on the command line).
_FIREFOX_ID = re.compile(r"[A-Za-z0-9._@{}+-]{1,200}")


class SettingsError(Exception):
    """The settings file cannot be used; the message says why and what to do."""


class BadExtension(ValueError):
    """An ``--extension`` value that is neither a Chromium id/origin nor a Firefox id."""


@dataclass(frozen=True)
class Extension:
    """One allowed extension: its browser family, its id and its install-time name."""

    family: str
    id: str
    name: str = ""

    @property
    def origin(self) -> str:
        """The ``allowed_origins`` entry (Chromium family only)."""
        return f"{CHROME_ORIGIN_PREFIX}{self.id}/"


def parse_extension(text: str) -> Extension:
    """``ID``, ``chrome-extension://ID/`` or a Firefox add-on id, optionally ``=NAME``."""
    ident, _, name = text.partition("=")
    ident, name = ident.strip(), name.strip()
    if ident.startswith(CHROME_ORIGIN_PREFIX):
        ident = ident[len(CHROME_ORIGIN_PREFIX) :].rstrip("/")
        if not _CHROMIUM_ID.fullmatch(ident):
            raise BadExtension(
                f"{text!r}: a chrome-extension:// origin needs a 32-letter id (letters a-p)"
            )
    if _CHROMIUM_ID.fullmatch(ident):
        return Extension(CHROMIUM, ident, name)
    if not _FIREFOX_ID.fullmatch(ident):
        raise BadExtension(
            f"{text!r} is neither a Chromium extension id (32 letters a-p), a "
            "chrome-extension://<id>/ origin, nor a Firefox add-on id (like name@example.org)"
        )
    return Extension(FIREFOX, ident, name)


@dataclass
class Settings:
    extensions: list[Extension] = field(default_factory=list)
    user_data_dirs: list[str] = field(default_factory=list)
    """Chromium profile folders (``--user-data-dir``) that install wrote into."""
    other: dict[str, Any] = field(default_factory=dict)
    """Keys of this file that this version does not use; written back unchanged."""

    def allowed(self, family: str) -> list[Extension]:
        return [ext for ext in self.extensions if ext.family == family]

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
        """Take ``ident`` of ``family`` out of the allowed extensions; what was removed, or
        None when it was not allowed."""
        for index, known in enumerate(self.extensions):
            if (known.family, known.id) == (family, ident):
                return self.extensions.pop(index)
        return None

    def find(self, family: str, ident: str) -> Extension | None:
        for ext in self.extensions:
            if ext.family == family and ext.id == ident:
                return ext
        return None


def settings_file(config: Path | None = None) -> Path:
    return (config if config is not None else folders.config_dir()) / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The settings at ``path`` (default: the config folder's); empty when absent."""
    path = path or settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SettingsError(
            f"{path} is not valid JSON ({error}); fix or delete it, then run "
            "`bridgekeeper install --extension ID` again"
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
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
    return Settings(extensions, dirs, other)


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
    """The app's policy: only allowed extensions are served. Re-reads the settings when
    the file changes, so `bridgekeeper install --extension` takes effect at once. Safe to
    ask from any thread (the socket thread answers untrusted callers itself)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or settings_file()
        self._stamp: tuple[int, int, int] | None = None
        self._settings = Settings()
        self._lock = threading.Lock()

    def _current(self) -> Settings:
        with self._lock:
            return self._reread()

    def _reread(self) -> Settings:
        try:
            st = self._path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._settings = load(self._path)
            except SettingsError as error:
                # Fail closed: serving everyone because the file is unreadable is worse.
                log.error("%s; no extension is allowed until it is fixed", error)
                self._settings = Settings()
        return self._settings

    def is_allowed(self, caller: Caller) -> bool:
        """True when ``caller``'s extension is in the allowed list."""
        return self._current().find(caller.family, caller.extension) is not None

    def names(self, caller: Caller) -> str:
        """The install-time name of ``caller``'s extension, or "" when it has none."""
        found = self._current().find(caller.family, caller.extension)
        return found.name if found else ""
