"""Browser profiles on disk as Chromium and Firefox write them (the layouts seen in
Chromium 156's and Firefox ESR 153's own profiles), for the tests of
app.integration.profiles and the screenshots."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def chromium_extension(
    profile: Path, ident: str, name: str, version: str = "1.0.0", localized: bool = False
) -> Path:
    """A store-installed extension: ``Extensions/<id>/<version>/manifest.json``; with
    ``localized``, its name is ``__MSG_appName__`` in ``_locales/en`` (and zh_CN)."""
    folder = profile / "Extensions" / ident / f"{version}_0"
    manifest: dict[str, Any] = {"manifest_version": 3, "name": name, "version": version}
    if localized:
        manifest.update(name="__MSG_appName__", default_locale="en")
        write_json(folder / "_locales" / "en" / "messages.json", {"appName": {"message": name}})
        write_json(
            folder / "_locales" / "zh_CN" / "messages.json",
            {"APPNAME": {"message": f"{name} 中文版"}},
        )
    write_json(folder / "manifest.json", manifest)
    return folder


def chromium_profile(
    profile: Path,
    extensions: Mapping[str, str],
    *,
    display_name: str = "Person 1",
    localized: bool = False,
    extra_settings: Mapping[str, Any] | None = None,
) -> Path:
    """A profile folder (``Default`` or ``Profile N``) with ``extensions`` (id → name)
    installed, the user data folder's ``Local State`` naming it, and Chromium's own PDF
    viewer (a component extension, never offered)."""
    settings: dict[str, Any] = {
        "mhjfbmdgcfjbbpaeojofohoefgiehjai": {
            "location": 5,
            "manifest": {"name": "Chromium PDF Viewer"},
            "path": "/usr/lib/chromium/resources/pdf",
        }
    }
    for ident, name in extensions.items():
        chromium_extension(profile, ident, name, localized=localized)
        settings[ident] = {"location": 1, "path": f"{ident}/1.0.0_0", "from_webstore": True}
    settings.update(extra_settings or {})
    write_json(profile / "Preferences", {"extensions": {"settings": settings}})
    local_state = profile.parent / "Local State"
    state: dict[str, Any] = {}
    if local_state.exists():
        state = json.loads(local_state.read_text(encoding="utf-8"))
    cache = state.setdefault("profile", {}).setdefault("info_cache", {})
    cache[profile.name] = {"name": display_name}
    write_json(local_state, state)
    return profile


def firefox_profile(
    root: Path, folder: str, extensions: Mapping[str, str], *, name: str = "default-release"
) -> Path:
    """A Firefox profiles folder (``~/.mozilla/firefox``): ``profiles.ini`` and one profile
    with ``extensions`` (id → name) in its ``extensions.json``, beside Firefox's own
    built-in add-ons and a theme (never offered)."""
    profile = root / folder
    profile.mkdir(parents=True, exist_ok=True)
    ini = root / "profiles.ini"
    sections = ini.read_text(encoding="utf-8") if ini.exists() else "[General]\nVersion=2\n"
    count = sections.count("[Profile")
    sections += f"\n[Profile{count}]\nName={name}\nIsRelative=1\nPath={folder}\n"
    ini.write_text(sections, encoding="utf-8")
    addons: list[dict[str, Any]] = [
        {
            "id": ident,
            "type": "extension",
            "location": "app-profile",
            "active": True,
            "hidden": False,
            "defaultLocale": {"name": title},
            "locales": [],
        }
        for ident, title in extensions.items()
    ]
    addons += [
        {
            "id": "formautofill@mozilla.org",
            "type": "extension",
            "location": "app-builtin-addons",
            "hidden": True,
            "defaultLocale": {"name": "Form Autofill"},
        },
        {
            "id": "default-theme@mozilla.org",
            "type": "theme",
            "location": "app-builtin",
            "defaultLocale": {"name": "System theme — auto"},
        },
    ]
    write_json(profile / "extensions.json", {"schemaVersion": 37, "addons": addons})
    return profile
