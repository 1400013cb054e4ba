"""``bridgekeeper install --system`` / ``uninstall --system`` as real commands, into a
staging root (``--root``, as a package's maintainer scripts use it under ``dpkg --root``)
so this machine's own browsers see nothing; refused to a user who is not root. And
``install`` on a full disk: a clear error, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.protocol import HOST_NAME
from tests.support.harness import BIN, CHROME_ID, FIREFOX_ID, Home
from tests.support.machine import CHROMIUM_MANIFEST, bk, fake_browsers, read_json
from tests.support.needs import NOT_ROOT

ROOT_ONLY = pytest.mark.skipif(NOT_ROOT, reason="needs root")
SYSTEM_FOLDERS = (
    "etc/opt/chrome/native-messaging-hosts",
    "etc/chromium/native-messaging-hosts",
    "etc/opt/edge/native-messaging-hosts",
    "usr/lib/mozilla/native-messaging-hosts",
    "usr/lib64/mozilla/native-messaging-hosts",
    "usr/lib/librewolf/native-messaging-hosts",
)


def staging(home: Home) -> Path:
    root = home.root / "sysroot"
    (root / "etc/bridgekeeper").mkdir(parents=True)
    for folder in (root, root / "etc", root / "etc/bridgekeeper"):
        folder.chmod(0o755)
    return root


def system_env(home: Home) -> dict[str, str]:
    """An administrator's environment: no BRIDGEKEEPER_HOME, so the policy is the system's
    (under the staging root)."""
    env = home.env()
    del env["BRIDGEKEEPER_HOME"]
    return env


def run(home: Home, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "bridgekeeper"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@ROOT_ONLY
def test_install_system_writes_every_system_folder_allowing_the_policys_extensions(
    home: Home,
) -> None:
    root = staging(home)
    policy = root / "etc/bridgekeeper/policy.json"
    policy.write_text(
        json.dumps({"version": 1, "allowed_extensions": [f"{CHROME_ID}=Demo", FIREFOX_ID]})
    )
    policy.chmod(0o644)
    env = system_env(home)
    done = run(home, "install", "--system", "--root", str(root), env=env)
    assert done.returncode == 0, done.stderr
    host = Path("/usr/local/lib/bridgekeeper/bridgekeeper-host")  # as the system sees it
    assert (root / host.relative_to("/")).is_file()
    for folder in SYSTEM_FOLDERS:
        data = read_json(root / folder / f"{HOST_NAME}.json")
        assert data["path"] == str(host)
        if "mozilla" in folder or "librewolf" in folder:
            assert data["allowed_extensions"] == [FIREFOX_ID]
        else:
            assert data["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
        assert (root / folder / f"{HOST_NAME}.json").stat().st_mode & 0o777 == 0o644
    assert "no system-wide place known for waterfox, tor-browser" in done.stdout
    assert f"allowed: chromium {CHROME_ID} (Demo)" in done.stdout
    assert not (home.home / ".config").exists()  # nothing per user
    assert run(home, "install", "--system", "--root", str(root), env=env).returncode == 0
    removed = run(home, "uninstall", "--system", "--root", str(root), env=env)
    assert removed.returncode == 0, removed.stderr
    for folder in SYSTEM_FOLDERS:
        assert not (root / folder / f"{HOST_NAME}.json").exists()


@ROOT_ONLY
def test_install_system_with_a_broken_policy_writes_nothing(home: Home) -> None:
    root = staging(home)
    policy = root / "etc/bridgekeeper/policy.json"
    policy.write_text('{"version": 1, "allowed_extensions": ["notanid"]}')
    done = run(home, "install", "--system", "--root", str(root), env=system_env(home))
    assert done.returncode == 1
    assert "'notanid' is not an extension id" in done.stderr
    assert "nothing was written; fix the policy file" in done.stderr
    assert not (root / "etc/chromium").exists()


@ROOT_ONLY
def test_install_system_by_a_user_who_is_not_root_exits_1_with_the_reason(home: Home) -> None:
    nobody = 65534
    for path in (home.root, home.bk_home, home.home):
        path.chmod(0o755)
    root = staging(home)
    env = system_env(home)
    for verb in ("install", "uninstall"):
        done = subprocess.run(
            [
                "setpriv",
                f"--reuid={nobody}",
                f"--regid={nobody}",
                "--clear-groups",
                str(BIN / "bridgekeeper"),
                verb,
                "--system",
                "--root",
                str(root),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert f"run it as root (sudo bridgekeeper {verb} --system)" in done.stderr
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in root.rglob("*")) == ["bridgekeeper", "etc"]


@pytest.fixture
def full_disk(home: Home) -> Iterator[Path]:
    """A 256 KiB tmpfs, filled up after the folders below are made."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mount = home.root / "full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path) -> None:
    with open(folder / "filler", "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"\0" * 4096)
        except OSError:
            pass


def test_install_with_the_settings_on_a_full_disk_says_so(home: Home, full_disk: Path) -> None:
    env = fake_browsers(home, "chromium")
    env["BRIDGEKEEPER_HOME"] = str(full_disk / "bk")
    (full_disk / "bk/config").mkdir(parents=True, mode=0o700)
    (full_disk / "bk/data").mkdir(mode=0o700)
    fill(full_disk)
    done = bk(home, "install", "--extension", FIREFOX_ID, env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    settings_file = full_disk / "bk/config/settings.json"
    assert done.stderr == (
        f"bridgekeeper: cannot save the settings ({settings_file}: the disk is full); "
        "nothing was changed\n"
    )
    assert not settings_file.exists()
    assert [p.name for p in (full_disk / "bk/config").iterdir()] == []  # no temp file left


def test_install_with_manifests_on_a_full_disk_names_each_one(home: Home, full_disk: Path) -> None:
    env = fake_browsers(home, "chromium", "firefox")
    env["HOME"] = str(full_disk)
    (full_disk / ".config/chromium/NativeMessagingHosts").mkdir(parents=True)
    (full_disk / ".mozilla/native-messaging-hosts").mkdir(parents=True)
    fill(full_disk)
    done = bk(home, "install", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    chromium = full_disk / CHROMIUM_MANIFEST
    assert f"failed     chromium       {chromium}: the disk is full" in done.stdout
    assert "failed     firefox" in done.stdout
    assert not chromium.exists()
