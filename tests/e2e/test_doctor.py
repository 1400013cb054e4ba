"""``bridgekeeper doctor`` on working and broken set-ups (temporary HOME, real files, the
real app): each problem detected, explained, and given the command that fixes it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from app.system import settings
from host.caller import CHROMIUM, FIREFOX
from host.protocol import HOST_NAME
from tests.support.harness import CHROME_ID, FIREFOX_ID, AppProcess, Home, socket_accepts
from tests.support.machine import (
    CHROMIUM_MANIFEST,
    FIREFOX_MANIFEST,
    OTHER_CHROME_ID,
    bk,
    fake_browsers,
    launcher,
)

pytestmark = [pytest.mark.app_transport, pytest.mark.linux_folders]

LINE = re.compile(r"^\[( ok |FAIL|warn|skip| -- )\] (\S+)\s+(.+?)\s{2,}|^ {21}fix: ")


def doctor(home: Home) -> tuple[int, list[str]]:
    env = fake_browsers(home, "chromium", "firefox")
    assert bk(home, "install", env=env).returncode == 0
    return _run(home)


def _run(home: Home) -> tuple[int, list[str]]:
    done = bk(home, "doctor", env=fake_browsers(home, "chromium", "firefox"))
    return done.returncode, done.stdout.splitlines()


def _installed(home: Home) -> None:
    assert bk(home, "install", env=fake_browsers(home, "chromium", "firefox")).returncode == 0


def _line(lines: list[str], start: str) -> str:
    found = [line for line in lines if line.startswith(start)]
    assert found, f"no line starting {start!r} in:\n" + "\n".join(lines)
    return found[0]


def _fix_after(lines: list[str], start: str) -> str:
    index = lines.index(_line(lines, start))
    return lines[index + 1].strip()


def test_doctor_passes_and_pings_through_each_installed_host(app: AppProcess) -> None:
    code, lines = doctor(app.home)
    assert code == 0, "\n".join(lines)
    _line(lines, "[ ok ] chromium      ping               pong from Bridgekeeper")
    _line(lines, "[ ok ] firefox       ping               pong from Bridgekeeper")
    _line(lines, "[ ok ] app           running            yes")
    _line(lines, "[ ok ] app           socket reachable")
    assert lines[-1] == "Everything works."
    # One line per check, aligned: the check name always starts in the same column.
    table = [line for line in lines if line and line != "Everything works."]
    assert all(LINE.match(line) for line in table), table
    checks = [line for line in table if line.startswith("[")]
    assert all(line[20] == " " and line[21] != " " for line in checks), checks


def _remove(path: Path) -> None:
    path.unlink()


def _wrong_path(path: Path) -> None:
    data = json.loads(path.read_text())
    data["path"] = "/opt/gone/bridgekeeper-host"
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("breakage", "line", "fix"),
    [
        (
            _remove,
            "[FAIL] chromium      manifest present   missing: ",
            "fix: bridgekeeper install --browser chromium",
        ),
        (
            _wrong_path,
            "[FAIL] chromium      host path          names /opt/gone/bridgekeeper-host, expected ",
            "fix: bridgekeeper install --browser chromium  (or start Bridgekeeper: it repairs "
            "stale paths)",
        ),
        (
            lambda path: path.write_text("{ not json"),
            "[FAIL] chromium      manifest valid     not valid JSON",
            "fix: bridgekeeper install --browser chromium",
        ),
    ],
    ids=["manifest-missing", "path-wrong", "manifest-invalid"],
)
def test_doctor_explains_a_broken_manifest(
    app: AppProcess, breakage: Callable[[Path], None], line: str, fix: str
) -> None:
    _installed(app.home)
    breakage(app.home.home / CHROMIUM_MANIFEST)
    code, lines = _run(app.home)
    assert code == 1
    assert _fix_after(lines, line) == fix
    _line(lines, "[ ok ] firefox       ping               pong")  # the other browser still works
    assert not any(line.startswith("[ ok ] chromium      ping") for line in lines)
    assert lines[-1] == "1 problem found; each has its fix above." or lines[-1].endswith(
        "problems found; each has its fix above."
    )


def test_doctor_explains_a_path_to_nowhere(app: AppProcess) -> None:
    _installed(app.home)
    _wrong_path(app.home.home / CHROMIUM_MANIFEST)
    _code, lines = _run(app.home)
    assert _line(lines, "[FAIL] chromium      host executable").endswith(
        "/opt/gone/bridgekeeper-host does not exist"
    )


def test_doctor_explains_a_host_that_is_not_executable(app: AppProcess) -> None:
    _installed(app.home)
    launcher(app.home).chmod(0o644)
    code, lines = _run(app.home)
    assert code == 1
    failing = f"[FAIL] chromium      host executable    {launcher(app.home)} is not executable"
    assert _fix_after(lines, failing) == f"fix: chmod +x {launcher(app.home)}"
    _line(lines, f"[FAIL] firefox       host executable    {launcher(app.home)} is not")


def _settings_file(home: Home) -> Path:
    return home.bk_home / "config" / "settings.json"


def test_doctor_explains_an_extension_the_manifest_does_not_allow(app: AppProcess) -> None:
    _installed(app.home)
    config = settings.load(_settings_file(app.home))
    config.allow(settings.Extension(CHROMIUM, OTHER_CHROME_ID))
    settings.save(config, _settings_file(app.home))  # allowed, but not installed yet
    code, lines = _run(app.home)
    assert code == 1
    line = f"[FAIL] chromium      allowed ids        does not allow {OTHER_CHROME_ID}"
    assert _fix_after(lines, line) == "fix: bridgekeeper install --browser chromium"


def test_doctor_explains_a_manifest_allowing_an_id_the_app_refuses(app: AppProcess) -> None:
    _installed(app.home)
    config = settings.load(_settings_file(app.home))
    config.extensions = [ext for ext in config.extensions if ext.family != CHROMIUM]
    settings.save(config, _settings_file(app.home))
    code, lines = _run(app.home)
    assert code == 1
    line = f"[FAIL] chromium      allowed ids        allows {CHROME_ID} (not allowed now)"
    assert _fix_after(lines, line) == "fix: bridgekeeper install --browser chromium"


def test_doctor_without_the_app_running_pings_through_the_host_which_starts_it(
    home: Home,
) -> None:
    code, lines = doctor(home)
    assert code == 0, "\n".join(lines)
    [running] = [line for line in lines if line.startswith("[") and " app " in line]
    assert (
        running
        == "[ -- ] app           running            no (the host starts it when a browser calls)"
    )
    _line(lines, "[ ok ] chromium      ping               pong from Bridgekeeper")
    _line(lines, "[ ok ] firefox       ping               pong from Bridgekeeper")
    assert lines[-1] == "Everything works."
    assert socket_accepts(home.socket)  # the first ping started the app, as a browser would


def test_a_firefox_manifest_with_no_firefox_extension_allowed_is_not_a_failure(
    app: AppProcess,
) -> None:
    config = settings.load(_settings_file(app.home))
    config.remove(FIREFOX, FIREFOX_ID)
    settings.save(config, _settings_file(app.home))
    code, lines = doctor(app.home)  # the README's Chromium-only set-up
    assert code == 0, "\n".join(lines)
    _line(lines, "[ -- ] firefox       allowed ids        no firefox-family extension allowed yet")
    _line(lines, "[skip] firefox       ping               no firefox-family extension to call as")
    _line(lines, "[ ok ] chromium      ping               pong")


def test_no_fix_offered_is_doctor_itself(home: Home) -> None:
    env = fake_browsers(home, "chromium", "firefox")
    assert bk(home, "install", env=env).returncode == 0
    launcher(home).chmod(0o644)
    (home.home / FIREFOX_MANIFEST).write_text("{")
    done = bk(home, "doctor", env={**env, "BRIDGEKEEPER_APP_COMMAND": "/bin/false"})
    assert done.returncode == 1
    fixes = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("fix:")]
    assert fixes
    assert not [fix for fix in fixes if "doctor" in fix]
    launcher(home).chmod(0o755)
    done = bk(home, "doctor", env={**env, "BRIDGEKEEPER_APP_COMMAND": "/bin/false"})
    lines = done.stdout.splitlines()
    failing = _line(lines, "[FAIL] chromium      ping               app_unavailable")
    assert _fix_after(lines, failing).startswith(
        "fix: the host could not reach or start Bridgekeeper: start it by hand with `bridgekeeper`"
    )


def test_doctor_names_the_manifest_it_pings_through(app: AppProcess) -> None:
    _code, lines = doctor(app.home)
    _line(lines, f"[ ok ] firefox       manifest present   {app.home.home / FIREFOX_MANIFEST}")
    assert (app.home.home / FIREFOX_MANIFEST).name == f"{HOST_NAME}.json"
