"""Browser integration on Linux with a temporary HOME and real files: the settings file,
``bridgekeeper install``/``uninstall``/``status`` run as real commands, the launcher the
manifests name, start-up repair, and the app refusing extensions not allowed."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from app.integration import manifests
from app.integration.browsers import BROWSERS, BY_NAME
from app.system import settings
from app.system.extensions import FORMS
from app.system.settings import AllowList, BadExtension, Extension, SettingsError
from host.caller import CHROMIUM, FIREFOX, Caller
from host.protocol import HOST_NAME
from tests.support.harness import (
    BIN,
    CHROME_ID,
    FIREFOX_ID,
    AppProcess,
    Home,
    HostProcess,
    allow_test_callers,
    one_shot,
    start_app,
    wait_for,
)
from tests.support.machine import (
    BRAVE_MANIFEST,
    CHROMIUM_MANIFEST,
    FIREFOX_MANIFEST,
    OTHER_CHROME_ID,
    bk,
    fake_browsers,
    launcher,
    read_json,
)

pytestmark = [pytest.mark.app_transport, pytest.mark.linux_folders]

# --- settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CHROME_ID, Extension(CHROMIUM, CHROME_ID)),
        (f"chrome-extension://{CHROME_ID}/", Extension(CHROMIUM, CHROME_ID)),
        (f"chrome-extension://{CHROME_ID}", Extension(CHROMIUM, CHROME_ID)),
        (f"{CHROME_ID}=My Wallet", Extension(CHROMIUM, CHROME_ID, "My Wallet")),
        (FIREFOX_ID, Extension(FIREFOX, FIREFOX_ID)),
        (f"{FIREFOX_ID}=Demo", Extension(FIREFOX, FIREFOX_ID, "Demo")),
        (
            "{12345678-abcd-ef00-1234-1234567890ab}",
            Extension(FIREFOX, "{12345678-abcd-ef00-1234-1234567890ab}"),
        ),
    ],
)
def test_extension_argument_infers_family_and_name(text: str, expected: Extension) -> None:
    assert settings.parse_extension(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "chrome-extension://tooshort/", "has space@x.org", 'quote"@x.org', "=Name"],
)
def test_extension_argument_rejects_bad_ids(text: str) -> None:
    with pytest.raises(BadExtension):
        settings.parse_extension(text)


def test_settings_round_trip_keeps_unknown_keys_and_writes_private_file(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"version": 1, "start_at_login": True, "extensions": []}))
    loaded = settings.load(path)
    assert loaded.allow(Extension(CHROMIUM, CHROME_ID, "Demo"))
    assert not loaded.allow(Extension(CHROMIUM, CHROME_ID))  # already there, name kept
    assert loaded.allow(Extension(CHROMIUM, CHROME_ID, "Renamed"))
    settings.save(loaded, path)
    data = read_json(path)
    assert data["start_at_login"] is True
    assert data["extensions"] == [{"family": CHROMIUM, "id": CHROME_ID, "name": "Renamed"}]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp left


def test_settings_from_a_newer_version_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 99, "extensions": []}))
    with pytest.raises(SettingsError, match=r"newer Bridgekeeper \(settings version 99"):
        settings.load(path)


@pytest.mark.parametrize("text", ["{not json", "[]", '{"version": 1, "extensions": [{"id": 1}]}'])
def test_broken_settings_are_refused_with_the_file_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(SettingsError, match=str(path)):
        settings.load(path)


def _allowing(ident: str, name: str = "Demo") -> dict[str, object]:
    return {"version": 1, "extensions": [{"family": CHROMIUM, "id": ident, "name": name}]}


# Files that name the allowed extension but cannot be read: not one of them may let it in.
UNREADABLE_SETTINGS = {
    "not-utf8": json.dumps(_allowing(CHROME_ID, "Caf\u00e9"))
    .encode("utf-8")
    .replace(b"\\u00e9", b"\xe9"),
    "nested-too-deep": b'{"version": 1, "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "nested-1000-deep": json.dumps({**_allowing(CHROME_ID), "x": [[[]]]})
    .replace("[[[]]]", "[" * 1000 + "]" * 1000)
    .encode(),
    "version-true": json.dumps({**_allowing(CHROME_ID), "version": True}).encode(),
    "extensions-not-a-list": b'{"version": 1, "extensions": 5}',
    "a-folder": b"",
}


def _write_unreadable(path: Path, kind: str) -> None:
    if path.exists():
        path.unlink()
    if kind == "a-folder":
        path.mkdir()
    else:
        path.write_bytes(UNREADABLE_SETTINGS[kind])


@pytest.mark.parametrize("kind", UNREADABLE_SETTINGS)
def test_unreadable_settings_are_a_settings_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "settings.json"
    _write_unreadable(path, kind)
    with pytest.raises(SettingsError, match=re.escape(str(path))):
        settings.load(path)


@pytest.mark.parametrize("kind", UNREADABLE_SETTINGS)
def test_allow_list_never_keeps_the_old_list_when_the_file_goes_bad(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    policy = AllowList(path)
    chrome = Caller(CHROMIUM, CHROME_ID)
    settings.save(settings.Settings([Extension(CHROMIUM, CHROME_ID, "Demo")]), path)
    assert policy.is_allowed(chrome)
    _write_unreadable(path, kind)
    for _ in range(3):  # every time, not only the first
        assert not policy.is_allowed(chrome)
        assert policy.names(chrome) == ""
    assert str(path) in policy.problem
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1  # logged once, not at every request
    assert "no extension is allowed until it is fixed" in errors[0]
    if path.is_dir():
        path.rmdir()
    settings.save(settings.Settings([Extension(CHROMIUM, CHROME_ID, "Demo")]), path)
    assert policy.is_allowed(chrome)
    assert policy.problem == ""


def test_allow_list_follows_the_file_and_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    policy = AllowList(path)
    chrome = Caller(CHROMIUM, CHROME_ID)
    assert not policy.is_allowed(chrome)
    settings.save(settings.Settings([Extension(CHROMIUM, CHROME_ID, "Demo")]), path)
    assert policy.is_allowed(chrome)
    assert policy.names(chrome) == "Demo"
    assert not policy.is_allowed(Caller(FIREFOX, CHROME_ID))  # the family counts too
    assert policy.names(Caller(CHROMIUM, OTHER_CHROME_ID)) == ""
    path.write_text('{"version": 2}')
    assert not policy.is_allowed(chrome)


# --- the launcher the manifests name -------------------------------------------------


def test_launcher_uses_this_interpreter_with_one_flag_argument() -> None:
    text = manifests.launcher_text("/opt/venv/bin/python", "/src")
    first, *rest = text.splitlines()
    assert first == "#!/opt/venv/bin/python -SI"
    assert "sys.path.insert(0, '/src')" in rest
    assert "from host.relay import main" in rest


def test_launcher_with_spaces_in_the_interpreter_path_answers_ping(
    app: AppProcess, tmp_path: Path
) -> None:
    import sys

    folder = tmp_path / "my python"
    folder.mkdir()
    interpreter = folder / "python"
    interpreter.symlink_to(sys.executable)
    script = tmp_path / "host launcher"
    script.write_text(manifests.launcher_text(str(interpreter), str(manifests.host_package_root())))
    script.chmod(0o755)
    assert script.read_text().startswith("#!/bin/sh\n")
    host = HostProcess(app.home, command=[str(script)])
    try:
        host.send({"type": "ping", "id": 1})
        assert host.read()["result"]["pong"] is True
        assert host.wait() == 0
    finally:
        host.kill()


# --- install / uninstall on Linux, real files ---------------------------------------


def test_install_writes_a_manifest_for_every_detected_browser(home: Home) -> None:
    env = fake_browsers(home, "chromium", "firefox-esr", "brave-browser")
    done = bk(home, "install", "--extension", f"{OTHER_CHROME_ID}=Wallet", env=env)
    assert done.returncode == 0, done.stderr
    chromium = read_json(home.home / CHROMIUM_MANIFEST)
    assert chromium == {
        "name": HOST_NAME,
        "description": manifests.DESCRIPTION,
        "path": str(launcher(home)),
        "type": "stdio",
        "allowed_origins": [
            f"chrome-extension://{CHROME_ID}/",
            f"chrome-extension://{OTHER_CHROME_ID}/",
        ],
    }
    assert read_json(home.home / BRAVE_MANIFEST)["allowed_origins"] == chromium["allowed_origins"]
    firefox = read_json(home.home / FIREFOX_MANIFEST)
    assert firefox["allowed_extensions"] == [FIREFOX_ID]
    assert "allowed_origins" not in firefox
    assert not (home.home / ".config/google-chrome").exists()  # not detected, not written
    for path in (CHROMIUM_MANIFEST, FIREFOX_MANIFEST, BRAVE_MANIFEST):
        assert "wrote      " in done.stdout
        assert str(home.home / path) in done.stdout
    assert "allowed: chromium abcdefghijklmnopabcdefghijklmnop (Wallet)" in done.stdout
    saved = settings.load(home.bk_home / "config" / "settings.json")
    assert Extension(CHROMIUM, OTHER_CHROME_ID, "Wallet") in saved.extensions
    # The launcher: this environment's interpreter, -SI as one argument, executable.
    interpreter = (BIN / "bridgekeeper").read_text().splitlines()[0].removeprefix("#!")
    assert launcher(home).read_text().splitlines()[0] == f"#!{interpreter} -SI"
    assert os.access(launcher(home), os.X_OK)


def test_install_is_idempotent(home: Home) -> None:
    env = fake_browsers(home, "chromium")
    assert bk(home, "install", env=env).returncode == 0
    manifest = home.home / CHROMIUM_MANIFEST
    before = manifest.stat()
    again = bk(home, "install", "--extension", CHROME_ID, env=env)
    assert again.returncode == 0, again.stderr
    assert "unchanged  chromium" in again.stdout
    after = manifest.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_install_with_a_new_extension_updates_manifests_written_before(home: Home) -> None:
    env = fake_browsers(home, "chromium", "brave-browser")
    assert bk(home, "install", "--browser", "brave", env=env).returncode == 0
    done = bk(home, "install", "--browser", "chromium", "--extension", OTHER_CHROME_ID, env=env)
    assert done.returncode == 0, done.stderr
    brave = read_json(home.home / BRAVE_MANIFEST)
    assert f"chrome-extension://{OTHER_CHROME_ID}/" in brave["allowed_origins"]  # type: ignore[operator]
    assert "repaired   brave" in done.stdout


def test_uninstall_removes_only_what_install_wrote(home: Home) -> None:
    env = fake_browsers(home, "chromium", "firefox")
    assert bk(home, "install", env=env).returncode == 0
    folder = (home.home / CHROMIUM_MANIFEST).parent
    other = folder / "org.other.host.json"
    other.write_text(json.dumps({"name": "org.other.host", "path": "/x", "type": "stdio"}))
    done = bk(home, "uninstall", "--browser", "chromium", env=env)
    assert done.returncode == 0, done.stderr
    assert "removed    chromium" in done.stdout
    assert not (home.home / CHROMIUM_MANIFEST).exists()
    assert other.exists()  # another host's file stays
    assert (home.home / FIREFOX_MANIFEST).exists()  # another browser's stays
    assert bk(home, "uninstall", env=env).returncode == 0
    assert not (home.home / FIREFOX_MANIFEST).exists()
    assert other.exists()


def test_uninstall_leaves_a_foreign_file_with_our_file_name(home: Home) -> None:
    path = home.home / CHROMIUM_MANIFEST
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"name": "com.someone.else", "path": "/x", "type": "stdio"}))
    done = bk(home, "uninstall", "--browser", "chromium", env=fake_browsers(home, "chromium"))
    assert done.returncode == 0
    assert "absent" in done.stdout
    assert path.exists()


def test_install_into_a_user_data_dir_and_uninstall_it(home: Home) -> None:
    profile = home.root / "profile"
    profile.mkdir()  # the browser made it when first started with --user-data-dir
    done = bk(home, "install", "--user-data-dir", str(profile), env=fake_browsers(home))
    assert done.returncode == 0, done.stderr
    manifest = profile / "NativeMessagingHosts" / f"{HOST_NAME}.json"
    assert read_json(manifest)["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
    assert str(profile) in settings.load(home.bk_home / "config" / "settings.json").user_data_dirs
    assert bk(home, "uninstall", "--browser", "chromium", env=fake_browsers(home)).returncode == 0
    assert manifest.exists()  # a profile folder is removed only by a plain uninstall
    assert bk(home, "uninstall", env=fake_browsers(home)).returncode == 0
    assert not manifest.exists()
    assert settings.load(home.bk_home / "config" / "settings.json").user_data_dirs == []


def test_user_data_dir_with_a_firefox_browser_is_bad_usage(home: Home) -> None:
    done = bk(home, "install", "--browser", "firefox", "--user-data-dir", str(home.root / "p"))
    assert done.returncode == 2
    assert "--user-data-dir is for Chromium-family browsers, not firefox" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["install", "--browser", "netscape"], "unknown browser netscape; known: firefox"),
        (["uninstall", "--browser", "mosaic"], "unknown browser mosaic"),
        (["install", "--extension", "notanid"], "'notanid' is not an extension id: "),
        (
            ["install", "--extension", OTHER_CHROME_ID.upper()],
            "is not an extension id: Chromium ids are lower case; ",
        ),
        (
            ["install", "--extension", "q" * 32],
            "is not an extension id: Chromium ids use only the letters a to p; ",
        ),
        (["extensions", "allow", "not an id"], "'not an id' is not an extension id"),
        (["extensions", "remove", "x"], "'x' is not an extension id"),
        (["install", "--system", "--extension", FIREFOX_ID], "--system allows what the system"),
        (["uninstall", "--root", "/tmp"], "--root goes with --system"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    home: Home, args: list[str], message: str
) -> None:
    done = bk(home, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    if "not an extension id" in message:
        assert done.stderr.strip().endswith(FORMS)
    assert not (home.home / ".config").exists()
    assert not (home.bk_home / "config/settings.json").read_text().count("notanid")


def test_a_user_data_dir_that_does_not_exist_is_refused_and_nothing_created(home: Home) -> None:
    missing = home.root / "nonexistent" / "dir"
    done = bk(home, "install", "--user-data-dir", str(missing), env=fake_browsers(home))
    assert done.returncode == 2
    assert f"--user-data-dir {missing} is not a folder" in done.stderr
    assert not (home.root / "nonexistent").exists()
    saved = settings.load(home.bk_home / "config" / "settings.json")
    assert saved.user_data_dirs == []


def test_browser_names_are_taken_as_people_type_them(home: Home) -> None:
    env = fake_browsers(home)
    done = bk(home, "install", "--browser", "Google-Chrome", "--browser", "brave-browser", env=env)
    assert done.returncode == 0, done.stderr
    assert (home.home / ".config/google-chrome/NativeMessagingHosts" / f"{HOST_NAME}.json").exists()
    assert (home.home / BRAVE_MANIFEST).exists()
    done = bk(home, "uninstall", "--browser", "MICROSOFT-EDGE", env=env)
    assert done.returncode == 0
    assert "absent     edge" in done.stdout


@pytest.mark.parametrize(
    ("command", "description"),
    [
        ("install", "Write the native messaging host manifest"),
        ("uninstall", "Remove the manifests"),
        ("status", "Each browser found and which manifest serves it"),
        ("doctor", "Every check of status, then a real ping"),
        ("extensions", "The extensions allowed to use Bridgekeeper"),
    ],
)
def test_help_describes_each_command(command: str, description: str) -> None:
    listed = subprocess.run(
        [str(BIN / "bridgekeeper"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert f"    {command}" in listed
    detail = subprocess.run(
        [str(BIN / "bridgekeeper"), command, "--help"], capture_output=True, text=True, check=True
    ).stdout
    _usage, _, rest = detail.partition("\n\n")
    assert rest.startswith(description), detail


def test_install_with_no_browser_found_says_how_to_name_one(home: Home) -> None:
    done = bk(home, "install", env=fake_browsers(home))
    assert done.returncode == 1
    assert "No browser found to register with. Name one with --browser NAME" in done.stderr


def test_install_refuses_settings_from_a_newer_version_and_loses_nothing(home: Home) -> None:
    path = home.bk_home / "config" / "settings.json"
    path.write_text('{"version": 7, "extensions": []}')
    done = bk(home, "install", "--extension", OTHER_CHROME_ID, env=fake_browsers(home, "chromium"))
    assert done.returncode == 1
    assert "newer Bridgekeeper" in done.stderr
    assert path.read_text() == '{"version": 7, "extensions": []}'
    assert not (home.home / CHROMIUM_MANIFEST).exists()


def test_status_lists_browsers_manifests_app_and_allowed(home: Home) -> None:
    env = fake_browsers(home, "chromium")
    assert bk(home, "install", env=env).returncode == 0
    done = bk(home, "status", env=env)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert f"[ ok ] chromium      manifest present   {home.home / CHROMIUM_MANIFEST}" in lines
    assert f"[ ok ] settings      allowed            firefox: {FIREFOX_ID}" in lines
    assert (
        "[ -- ] app           running            no (the host starts it when a browser calls)"
        in (lines)
    )
    assert not any("socket" in line for line in lines)  # said once, not twice
    # What is merely absent is said once, quietly.
    [absent] = [line for line in lines if "not found" in line or "not installed" in line]
    assert absent.startswith("[ -- ] browsers      not found          firefox, librewolf")
    assert "opera" in absent


def test_status_exits_1_exactly_when_it_prints_a_failure(home: Home) -> None:
    env = fake_browsers(home, "chromium")
    assert bk(home, "install", env=env).returncode == 0
    good = bk(home, "status", env=env)
    assert (good.returncode, "[FAIL]" in good.stdout) == (0, False)
    (home.home / CHROMIUM_MANIFEST).write_text("{ not json")
    bad = bk(home, "status", env=env)
    assert (bad.returncode, "[FAIL] chromium      manifest valid" in bad.stdout) == (1, True)
    (home.home / CHROMIUM_MANIFEST).unlink()
    (home.root / "fakebin" / "chromium").unlink()  # the browser gone too: nothing to fail
    warned = bk(home, "status", env=env)
    assert warned.returncode == 0
    assert "[FAIL]" not in warned.stdout


def test_status_shows_what_draws_nothing_in_an_allowed_name(home: Home) -> None:
    path = settings.settings_file(home.bk_home / "config")
    settings.save(settings.Settings([Extension(CHROMIUM, CHROME_ID, "Wallet\u202e\u3164")]), path)
    done = bk(home, "status", env=fake_browsers(home))
    assert f"chromium: {CHROME_ID} (Wallet[RLO U+202E][U+3164])" in done.stdout
    assert "\u202e" not in done.stdout


def test_every_spec_browser_name_is_in_the_table() -> None:
    spec = "firefox librewolf waterfox tor-browser chrome chrome-beta chrome-dev chromium edge"
    for name in [*spec.split(), "brave", "vivaldi", "opera", "chrome-canary"]:
        assert name in BY_NAME
    for browser in BROWSERS:
        assert browser.family in (CHROMIUM, FIREFOX)
        assert browser.linux is not None, browser.name
        assert browser.macos is not None, browser.name
        assert browser.windows is not None, browser.name


# --- the app: allowed list, untrusted callers, start-up repair -----------------------


def test_app_answers_an_unlisted_extension_with_untrusted_extension(app: AppProcess) -> None:
    argv = [f"chrome-extension://{OTHER_CHROME_ID}/"]
    reply = one_shot(app.home, {"type": "ping", "id": 1}, argv)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "untrusted_extension"
    assert f"bridgekeeper install --extension {OTHER_CHROME_ID}" in reply["error"]["message"]
    firefox = one_shot(app.home, {"type": "ping", "id": 2}, ["/m.json", "evil@example.org"])
    assert firefox["error"]["code"] == "untrusted_extension"
    # The bare "ping" too (MDN's ping_pong): "pong" is for allowed extensions only.
    bare = one_shot(app.home, "ping", argv)
    assert (bare["id"], bare["error"]["code"]) == (None, "untrusted_extension")
    # Allowing it takes effect in the running app, without a restart.
    done = bk(app.home, "install", "--extension", OTHER_CHROME_ID, env=fake_browsers(app.home))
    assert done.returncode == 1  # no browser to write to, but the extension is allowed
    assert one_shot(app.home, {"type": "ping", "id": 3}, argv)["ok"] is True


@pytest.mark.parametrize("kind", ["not-utf8", "nested-too-deep"])
def test_app_with_unreadable_settings_serves_no_extension_and_status_says_why(
    app: AppProcess, kind: str
) -> None:
    home = app.home
    path = home.bk_home / "config" / "settings.json"
    assert one_shot(home, {"type": "ping", "id": 0})["ok"] is True
    path.write_bytes(UNREADABLE_SETTINGS[kind])
    host = HostProcess(home)  # a port: the refusals must not cost it the connection
    try:
        for rid in (1, 2, 3):
            host.send({"type": "ping", "id": rid})
            reply = host.read()
            assert (reply["id"], reply["error"]["code"]) == (rid, "untrusted_extension")
    finally:
        host.kill()
    assert one_shot(home, {"type": "ping", "id": 4})["error"]["code"] == "untrusted_extension"
    assert f"{path}" in home.log_text()
    assert "no extension is allowed until it is fixed" in home.log_text()
    status = bk(home, "status", env=fake_browsers(home))
    assert "Traceback" not in status.stderr
    lines = status.stdout.splitlines()
    index = next(i for i, line in enumerate(lines) if "settings      readable" in line)
    row, fix = lines[index], lines[index + 1]
    assert row.startswith("[FAIL] settings      readable")
    assert str(path) in row
    assert "Bridgekeeper serves no extension" in row
    assert fix.strip() == f"fix: fix or move away {path}, then bridgekeeper install --extension ID"
    allow_test_callers(home)
    assert one_shot(home, {"type": "ping", "id": 5})["ok"] is True


def test_app_repairs_a_stale_manifest_path_at_start(home: Home) -> None:
    env = fake_browsers(home, "chromium")
    assert bk(home, "install", env=env).returncode == 0
    manifest = home.home / CHROMIUM_MANIFEST
    data = read_json(manifest)
    data["path"] = "/opt/old-bundle/bridgekeeper-host"
    manifest.write_text(json.dumps(data))
    app = start_app(home, env=env)
    try:
        wait_for(lambda: "repaired the Chromium manifest" in home.log_text(), 10, "the repair")
        assert read_json(manifest)["path"] == str(launcher(home))
        assert "host was /opt/old-bundle/bridgekeeper-host" in home.log_text()
    finally:
        app.stop()


@pytest.mark.parametrize("command", ["install", "status", "doctor", "uninstall"])
def test_integration_commands_do_not_import_qt(home: Home, command: str) -> None:
    probe = (
        "import sys\n"
        "from app.cli import main\n"
        f"code = main([{command!r}])\n"
        "print('qt' if any(m.startswith('PySide6') for m in sys.modules) else 'no qt')\n"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", probe],
        env=home.env(fake_browsers(home, "chromium")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.splitlines()[-1] == "no qt", done.stderr


def test_in_a_bundle_the_manifest_names_the_host_beside_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    bundle = tmp_path / "Bridgekeeper"
    bundle.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "bridgekeeper"))
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(tmp_path / "bk"))
    assert manifests.host_path() == bundle / "bridgekeeper-host"
    assert manifests.expected_host_path() == bundle / "bridgekeeper-host"
    assert not (tmp_path / "bk" / "data" / "bridgekeeper-host").exists()  # no launcher


# --- extensions and decisions on the command line ---------------------------------------


def test_extensions_allow_and_remove_update_the_installed_manifests(home: Home) -> None:
    env = fake_browsers(home, "chromium", "firefox")
    assert bk(home, "install", env=env).returncode == 0
    done = bk(
        home, "extensions", "allow", f"{OTHER_CHROME_ID}=Wallet", "extra@example.org", env=env
    )
    assert done.returncode == 0, done.stderr
    assert f"allowed: Chromium {OTHER_CHROME_ID} (Wallet)" in done.stdout
    assert "repaired   chromium" in done.stdout
    assert f"chrome-extension://{OTHER_CHROME_ID}/" in str(
        read_json(home.home / CHROMIUM_MANIFEST)["allowed_origins"]
    )
    assert read_json(home.home / FIREFOX_MANIFEST)["allowed_extensions"] == [
        FIREFOX_ID,
        "extra@example.org",
    ]
    listed = bk(home, "extensions", "list").stdout.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["NAME", "BROWSER", "ID"],
        ["-", "Chromium", CHROME_ID],
        ["-", "Firefox", FIREFOX_ID],
        ["Wallet", "Chromium", OTHER_CHROME_ID],
        ["-", "Firefox", "extra@example.org"],
    ]
    again = bk(home, "extensions", "allow", OTHER_CHROME_ID, env=env)
    assert f"already allowed: Chromium {OTHER_CHROME_ID}" in again.stdout
    gone = bk(
        home, "extensions", "remove", f"chrome-extension://{OTHER_CHROME_ID}/", FIREFOX_ID, env=env
    )
    assert gone.returncode == 0, gone.stderr
    assert read_json(home.home / CHROMIUM_MANIFEST)["allowed_origins"] == [
        f"chrome-extension://{CHROME_ID}/"
    ]
    assert read_json(home.home / FIREFOX_MANIFEST)["allowed_extensions"] == ["extra@example.org"]
    missing = bk(home, "extensions", "remove", FIREFOX_ID, env=env)
    assert missing.returncode == 1
    assert f"{FIREFOX_ID} is not allowed; nothing to remove" in missing.stderr


def test_extensions_allow_says_when_no_browser_of_that_family_is_registered(home: Home) -> None:
    done = bk(home, "extensions", "allow", "new@example.org", env=fake_browsers(home))
    assert done.returncode == 0
    assert "No Firefox-family browser is registered yet: run `bridgekeeper install`." in (
        done.stderr
    )
    assert one_shot_allowed(home, "new@example.org")


def one_shot_allowed(home: Home, addon: str) -> bool:
    saved = settings.load(home.bk_home / "config" / "settings.json")
    return saved.find(FIREFOX, addon) is not None


def test_decisions_list_fits_100_columns_and_names_the_extensions(home: Home) -> None:
    from app.core.decisions import DecisionKey, DecisionStore

    config = settings.load(home.bk_home / "config" / "settings.json")
    config.allow(Extension(CHROMIUM, CHROME_ID, "Bridgekeeper demo"))
    settings.save(config, home.bk_home / "config" / "settings.json")
    store = DecisionStore(home.bk_home / "data")
    (home.bk_home / "data").mkdir(mode=0o700, exist_ok=True)
    store.load()
    store.remember(
        DecisionKey(CHROMIUM, CHROME_ID, "secret.get", "api-token", "https://example.com"), "allow"
    )
    long_site = "https://" + "very-long-subdomain." * 6 + "example.org"
    store.remember(DecisionKey(FIREFOX, FIREFOX_ID, "confirm", "a" * 100, long_site), "deny")
    store.remember(
        DecisionKey(CHROMIUM, OTHER_CHROME_ID, "confirm", "x\u202eevil", "https://a.example"),
        "allow",
    )
    done = bk(home, "decisions", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, "\n".join(lines)
    assert lines[0].split() == ["KEY", "DECISION", "EXTENSION", "TYPE", "ACTION", "SITE", "SINCE"]
    assert any("  Bridgekeeper de" in line for line in lines)  # cut to fit, as the others
    assert not any(CHROME_ID[:12] in line for line in lines)  # named, not shown by id
    assert any(f"  {OTHER_CHROME_ID[:12]}" in line for line in lines)  # no name: its id
    assert any("…" in line for line in lines)  # long cells are cut, visibly
    assert not any("\u202e" in line for line in lines)  # nothing reorders the table
    key = DecisionKey(FIREFOX, FIREFOX_ID, "confirm", "a" * 100, long_site).short_id
    assert any(line.startswith(key) for line in lines)  # the KEY forget takes is whole
