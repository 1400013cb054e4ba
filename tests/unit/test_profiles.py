"""The extensions installed in browser profiles (app.integration.profiles), read from
profile files on disk laid out as Chromium and Firefox write them, and from hostile ones."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from app.integration.browsers import LINUX, MACOS, WINDOWS, Machine
from app.integration.profiles import (
    InstalledExtension,
    chromium_extensions,
    firefox_extensions,
    firefox_profiles,
    installed_extensions,
    read_bytes,
    read_json,
)
from tests.support.profiles import (
    chromium_extension,
    chromium_profile,
    firefox_profile,
    write_json,
)

DEMO = "jkdnicfhmapgokpkghnoknfplbgkmjan"
BITWARDEN = "nngceckbapebfimnlniiiahkandclblb"
OTHER = "aeblfdkhhhdcdjpifhhbdiojplfjncoa"


def linux(tmp_path: Path, *browsers: str) -> Machine:
    """A Linux machine whose PATH has ``browsers`` (empty scripts: detection only)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in browsers:
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Machine(LINUX, home, {"PATH": str(bin_dir)}, root=tmp_path / "root")


def test_chromium_and_firefox_profiles_of_detected_browsers(tmp_path: Path) -> None:
    machine = linux(tmp_path, "chromium", "firefox")
    data = machine.home / ".config" / "chromium"
    chromium_profile(data / "Default", {DEMO: "Bridgekeeper demo", BITWARDEN: "Bitwarden"})
    chromium_profile(data / "Profile 1", {DEMO: "Bridgekeeper demo"}, display_name="Work")
    firefox_profile(
        machine.home / ".mozilla" / "firefox", "x1.default", {"demo@bridgekeeper.org": "Demo"}
    )
    assert installed_extensions(machine) == [
        InstalledExtension("chromium", BITWARDEN, "Bitwarden", ["Chromium (Person 1)"]),
        InstalledExtension(
            "chromium", DEMO, "Bridgekeeper demo", ["Chromium (Person 1)", "Chromium (Work)"]
        ),
        InstalledExtension(
            "firefox", "demo@bridgekeeper.org", "Demo", ["Firefox (default-release)"]
        ),
    ]


def test_a_browser_that_is_not_detected_is_not_read(tmp_path: Path) -> None:
    machine = linux(tmp_path, "firefox")
    chromium_profile(machine.home / ".config" / "chromium" / "Default", {DEMO: "Demo"})
    assert installed_extensions(machine) == []


def test_localized_names_follow_the_language_then_the_default_locale(tmp_path: Path) -> None:
    profile = chromium_profile(tmp_path / "Default", {DEMO: "Demo"}, localized=True)
    assert list(chromium_extensions(profile)) == [(DEMO, "Demo")]
    # The message keys are matched whatever their case (zh_CN's is "APPNAME").
    assert list(chromium_extensions(profile, ["zh_CN"])) == [(DEMO, "Demo 中文版")]
    assert list(chromium_extensions(profile, ["fr"])) == [(DEMO, "Demo")]


def test_an_unpacked_extension_is_read_from_its_own_folder(tmp_path: Path) -> None:
    # Chromium 156 records --load-extension as location 8 with an absolute path.
    unpacked = tmp_path / "src"
    write_json(unpacked / "manifest.json", {"name": "Work in progress", "version": "0.1"})
    profile = chromium_profile(
        tmp_path / "Default", {}, extra_settings={OTHER: {"location": 8, "path": str(unpacked)}}
    )
    assert list(chromium_extensions(profile)) == [(OTHER, "Work in progress")]


def test_secure_preferences_and_the_newest_version_folder(tmp_path: Path) -> None:
    profile = tmp_path / "Default"
    write_json(profile / "Preferences", {"extensions": {"settings": {}}})
    write_json(
        profile / "Secure Preferences", {"extensions": {"settings": {DEMO: {"location": 1}}}}
    )
    chromium_extension(profile, DEMO, "Old", version="1.9.0")
    chromium_extension(profile, DEMO, "New", version="1.10.0")
    assert list(chromium_extensions(profile)) == [(DEMO, "New")]


def test_themes_and_the_browsers_own_are_left_out(tmp_path: Path) -> None:
    profile = chromium_profile(tmp_path / "Default", {})
    theme = chromium_extension(profile, OTHER, "Dark theme")
    manifest = json.loads((theme / "manifest.json").read_text())
    write_json(theme / "manifest.json", {**manifest, "theme": {"colors": {}}})
    write_json(
        profile / "Preferences",
        {"extensions": {"settings": {OTHER: {"location": 1, "path": f"{OTHER}/1.0.0_0"}}}},
    )
    assert list(chromium_extensions(profile)) == []
    firefox = firefox_profile(tmp_path / "ff", "p", {})
    assert list(firefox_extensions(firefox)) == []


def test_firefox_names_in_the_users_language(tmp_path: Path) -> None:
    profile = firefox_profile(tmp_path, "p", {"a@example.org": "Password manager"})
    document = json.loads((profile / "extensions.json").read_text())
    document["addons"][0]["locales"] = [{"locales": ["zh-CN"], "name": "密码管理器"}]
    write_json(profile / "extensions.json", document)
    assert list(firefox_extensions(profile, ["zh_CN"])) == [("a@example.org", "密码管理器")]
    assert list(firefox_extensions(profile, ["de"])) == [("a@example.org", "Password manager")]


def test_flatpak_profiles_are_read_too(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    (machine.root / "var/lib/flatpak/app/org.chromium.Chromium").mkdir(parents=True)
    data = machine.home / ".var/app/org.chromium.Chromium/config/chromium"
    chromium_profile(data / "Default", {DEMO: "Demo"})
    assert [(e.id, e.places) for e in installed_extensions(machine)] == [
        (DEMO, ["Chromium (Person 1)"])
    ]


@pytest.mark.parametrize("platform", [MACOS, WINDOWS])
def test_macos_and_windows_profile_folders(tmp_path: Path, platform: str) -> None:
    home = tmp_path / "home"
    if platform == MACOS:
        (tmp_path / "root/Applications/Chromium.app").mkdir(parents=True)
        data = home / "Library/Application Support/Chromium"
        environ: dict[str, str] = {}
    else:
        program_files = tmp_path / "pf"
        (program_files / "Chromium/Application").mkdir(parents=True)
        (program_files / "Chromium/Application/chrome.exe").write_text("")
        data = tmp_path / "local" / "Chromium" / "User Data"
        environ = {"ProgramFiles": str(program_files), "LOCALAPPDATA": str(tmp_path / "local")}
    chromium_profile(data / "Default", {DEMO: "Demo"})
    machine = Machine(platform, home, environ, root=tmp_path / "root")
    assert [e.id for e in installed_extensions(machine)] == [DEMO]


# -- hostile files ------------------------------------------------------------------------
HOSTILE_DOCUMENTS = [
    b"",
    b"\xff\xfe\x00garbage",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"extensions": {"settings": ["not", "a", "dict"]}}',
    b'{"extensions": {"settings": {"' + DEMO.encode() + b'": "a string"}}}',
    b'{"extensions": {"settings": {"' + DEMO.encode() + b'": {"location": [], "path": 7}}}}',
    b'{"extensions": {"settings": {"' + DEMO.encode() + b'": {"path": "../../../../etc"}}}}',
    b'{"extensions": {"settings": {"notanid": {"location": 1}}}}',
    b"1e999999",
    b'"just a string"',
]


@pytest.mark.parametrize("document", HOSTILE_DOCUMENTS)
def test_hostile_preferences_contribute_nothing(tmp_path: Path, document: bytes) -> None:
    profile = tmp_path / "Default"
    profile.mkdir()
    (profile / "Preferences").write_bytes(document)
    (profile / "Secure Preferences").write_bytes(document)
    # At most the id a well-formed entry names, without a name: nothing else gets through.
    assert set(chromium_extensions(profile)) <= {(DEMO, "")}


@pytest.mark.parametrize("document", HOSTILE_DOCUMENTS)
def test_hostile_extensions_json_and_manifests_contribute_nothing(
    tmp_path: Path, document: bytes
) -> None:
    firefox = tmp_path / "ff"
    firefox.mkdir()
    (firefox / "extensions.json").write_bytes(document)
    assert list(firefox_extensions(firefox)) == []
    profile = chromium_profile(tmp_path / "Default", {DEMO: "Demo"})
    (profile / "Extensions" / DEMO / "1.0.0_0" / "manifest.json").write_bytes(document)
    assert list(chromium_extensions(profile)) == [(DEMO, "")]


def test_wrong_types_inside_an_extension_entry_are_skipped(tmp_path: Path) -> None:
    profile = firefox_profile(tmp_path, "p", {"a@example.org": "A"})
    document = json.loads((profile / "extensions.json").read_text())
    document["addons"] += [
        "not an object",
        {"id": 5, "type": "extension", "location": "app-profile"},
        {"id": "b@example.org", "type": "extension", "location": ["app-profile"]},
        {
            "id": "c@example.org",
            "type": "extension",
            "location": "app-profile",
            "locales": 3,
            "defaultLocale": {"name": {"nested": True}},
        },
        {"id": "../../x", "type": "extension", "location": "app-profile"},
    ]
    write_json(profile / "extensions.json", document)
    assert list(firefox_extensions(profile, ["en"])) == [
        ("a@example.org", "A"),
        ("c@example.org", ""),
    ]


def test_a_huge_file_is_not_read(tmp_path: Path) -> None:
    profile = tmp_path / "Default"
    profile.mkdir()
    with open(profile / "Preferences", "wb") as stream:
        stream.truncate(65 * 1024 * 1024)  # sparse: costs nothing on disk
    assert read_bytes(profile / "Preferences", 64 * 1024 * 1024) is None
    assert list(chromium_extensions(profile)) == []


def test_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    real = chromium_profile(tmp_path / "real" / "Default", {DEMO: "Demo"})
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "Preferences").symlink_to(real / "Preferences")
    assert read_json(linked / "Preferences") is None
    assert list(chromium_extensions(linked)) == []
    # A symlinked Extensions/<id> folder is no version folder either.
    profile = chromium_profile(tmp_path / "p" / "Default", {})
    write_json(profile / "Preferences", {"extensions": {"settings": {DEMO: {"location": 1}}}})
    (profile / "Extensions").mkdir()
    (profile / "Extensions" / DEMO).symlink_to(real / "Extensions" / DEMO)
    assert list(chromium_extensions(profile)) == [(DEMO, "")]


def test_a_fifo_or_a_device_never_blocks(tmp_path: Path) -> None:
    profile = tmp_path / "Default"
    profile.mkdir()
    os.mkfifo(profile / "Preferences")
    os.mkfifo(profile / "Secure Preferences")
    started = time.monotonic()
    assert list(chromium_extensions(profile)) == []
    assert read_bytes(Path("/dev/zero"), 1024) is None
    assert time.monotonic() - started < 2


def test_garbage_profiles_ini_and_escaping_paths(tmp_path: Path) -> None:
    root = tmp_path / "firefox"
    root.mkdir()
    (root / "profiles.ini").write_bytes(b"\x00\xff[[[Profile0\nPath")
    assert firefox_profiles(root) == []
    (tmp_path / "outside").mkdir()
    (root / "profiles.ini").write_text(
        "[Profile0]\nPath=../outside\nIsRelative=1\n[Profile1]\nPath=%(x)s\n"
    )
    assert firefox_profiles(root) == []


def test_many_profiles_and_extensions_are_bounded(tmp_path: Path) -> None:
    settings = {
        chr(97 + (i % 16)) * 16
        + f"{i:016d}".translate(str.maketrans("0123456789", "abcdefghij")): {"location": 1}
        for i in range(3000)
    }
    profile = tmp_path / "Default"
    write_json(profile / "Preferences", {"extensions": {"settings": settings}})
    assert len(list(chromium_extensions(profile))) == 1000
