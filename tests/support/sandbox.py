"""A Flatpak browser, as close as this machine allows: the real Chromium or Firefox ESR
started inside bubblewrap with what Flatpak gives a browser (ENV.md's recipe), after a
FAKE Flatpak install (``~/.local/share/flatpak/app/<id>``) and ``bridgekeeper install``,
so the browser finds only what install placed in ``~/.var/app/<id>``.

Inside: ``/usr`` and ``/etc`` read-only, a private ``/tmp`` and ``/run``, of the home only
``~/.var/app/<id>`` (Firefox: its ``.mozilla`` as ``~/.mozilla``), of the runtime folder only
``$XDG_RUNTIME_DIR/app/<id>`` (same paths inside), ``/.flatpak-info``, ``FLATPAK_ID``, and
``XDG_CONFIG_HOME``/``XDG_DATA_HOME``/``XDG_CACHE_HOME`` inside ``~/.var/app/<id>``.
Typical use::

    with open_sandboxed_browser("chromium", home, env=runtime_env(home)) as browser:
        browser.run({"op": "request", "message": {"type": "ping"}})
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support.browsers import (
    CHROMIUM_FLAGS,
    DEMO_NAME,
    FIREFOX_PREFS,
    Browser,
    BrowserName,
    ResultsServer,
    build_test_extension,
    write_xpi,
)
from tests.support.harness import CHROME_ID, FIREFOX_ID, Home, app_command

FLATPAK_IDS: dict[BrowserName, str] = {
    "chromium": "org.chromium.Chromium",
    "firefox": "org.mozilla.firefox",
}
EXECUTABLES: dict[BrowserName, str] = {"chromium": "chromium", "firefox": "firefox-esr"}


def available() -> bool:
    return all(shutil.which(exe) for exe in ("bwrap", *EXECUTABLES.values()))


def runtime_dir(home: Home) -> Path:
    """The session's ``XDG_RUNTIME_DIR`` (0700, short: sockets live there)."""
    folder = home.root / "xdg"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def runtime_env(home: Home) -> dict[str, str]:
    """What the app (started outside) and the browser share: the runtime folder."""
    return {"XDG_RUNTIME_DIR": str(runtime_dir(home))}


def var_app(home: Home, name: BrowserName) -> Path:
    return home.home / ".var/app" / FLATPAK_IDS[name]


def install_flatpak(home: Home, name: BrowserName) -> None:
    """A FAKE per-user Flatpak install of the browser (what ``flatpak install --user``
    leaves), then ``bridgekeeper install`` as its user runs it."""
    app_id = FLATPAK_IDS[name]
    (home.home / ".local/share/flatpak/app" / app_id / "current/active/files").mkdir(
        parents=True, exist_ok=True
    )
    ident = f"{CHROME_ID}={DEMO_NAME}" if name == "chromium" else f"{FIREFOX_ID}={DEMO_NAME}"
    done = subprocess.run(
        [*app_command(), "install", "--extension", ident],
        env=home.env(runtime_env(home)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "in its Flatpak" not in done.stdout:
        raise RuntimeError(f"bridgekeeper install failed:\n{done.stdout}{done.stderr}")


def bwrap_command(
    home: Home, name: BrowserName, inner: list[str], env: Mapping[str, str]
) -> list[str]:
    """``inner`` run inside a stand-in for the browser's Flatpak sandbox."""
    app_id = FLATPAK_IDS[name]
    inside = var_app(home, name)
    run = runtime_dir(home)
    (run / "app" / app_id).mkdir(mode=0o700, parents=True, exist_ok=True)  # flatpak makes it
    info = home.root / f"flatpak-info-{app_id}"
    info.write_text(f"[Application]\nname={app_id}\n")
    command = [
        "bwrap", "--die-with-parent", "--unshare-pid", "--new-session",
        "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
        "--dir", str(home.home), "--bind", str(inside), str(inside),
        "--dir", str(run), "--bind", str(run / "app" / app_id), str(run / "app" / app_id),
        "--ro-bind", str(info), "/.flatpak-info",
    ]  # fmt: skip
    if name == "firefox":
        (inside / ".mozilla").mkdir(parents=True, exist_ok=True)
        command += ["--bind", str(inside / ".mozilla"), str(home.home / ".mozilla")]
    variables = {
        "HOME": str(home.home),
        "PATH": "/usr/bin:/bin",
        "TMPDIR": "/tmp",
        "FLATPAK_ID": app_id,
        "XDG_RUNTIME_DIR": str(run),
        "XDG_CONFIG_HOME": str(inside / "config"),
        "XDG_DATA_HOME": str(inside / "data"),
        "XDG_CACHE_HOME": str(inside / "cache"),
        **env,
    }
    command.append("--clearenv")
    for key, value in variables.items():
        command += ["--setenv", key, value]
    return [*command, "--", *inner]


def host_copy(home: Home, name: BrowserName) -> Path:
    """The host copy ``install`` placed for the browser's Flatpak (its manifest's path)."""
    inside = var_app(home, name)
    folder = (
        "config/chromium/NativeMessagingHosts"
        if name == "chromium"
        else (".mozilla/native-messaging-hosts")
    )
    manifest = json.loads((inside / folder / "org.bridgekeeper.host.json").read_text())
    return Path(manifest["path"])


def host_argv(home: Home, name: BrowserName) -> list[str]:
    """The host copy's command line as the browser inside its Flatpak builds it."""
    if name == "chromium":
        return [str(host_copy(home, name)), f"chrome-extension://{CHROME_ID}/"]
    manifest = home.home / ".mozilla/native-messaging-hosts/org.bridgekeeper.host.json"
    return [str(host_copy(home, name)), str(manifest), FIREFOX_ID]


def sandboxed_host(home: Home, name: BrowserName) -> subprocess.Popen[bytes]:
    """The host copy started inside the browser's sandbox stand-in, as the browser starts
    it there (framed stdio; the test speaks for the browser)."""
    return subprocess.Popen(
        bwrap_command(home, name, host_argv(home, name), {}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def start_sandboxed(
    name: BrowserName, home: Home, server: ResultsServer, env: Mapping[str, str]
) -> Browser:
    """The browser inside the sandbox, with the test build (copied inside) loaded."""
    inside = var_app(home, name)
    extension = build_test_extension(inside / "test-extension", server.url)
    if name == "chromium":
        profile = inside / "config/chromium"  # a Flatpak Chromium's user data dir
        inner = [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--load-extension={extension}",
            f"--disable-extensions-except={extension}",
            "about:blank",
        ]
        extra: dict[str, str] = {}
    else:
        profile = inside / ".mozilla/firefox/bridgekeeper-test"  # ~/.mozilla inside
        profile.mkdir(parents=True, exist_ok=True)
        write_xpi(extension, profile / "extensions" / f"{FIREFOX_ID}.xpi")
        (profile / "user.js").write_text(
            "".join(
                f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items()
            )
        )
        seen = home.home / ".mozilla/firefox/bridgekeeper-test"
        inner = ["firefox-esr", "--headless", "--no-remote", "--profile", str(seen), "about:blank"]
        extra = {"MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1"}
    log_path = home.root / f"{name}-sandboxed.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            bwrap_command(home, name, inner, {**extra, **env}),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Browser(name, home, process, server, log_path)


@contextmanager
def open_sandboxed_browser(
    name: BrowserName, home: Home, env: Mapping[str, str] | None = None, ready_timeout: float = 90
) -> Iterator[Browser]:
    """A Flatpak-like browser with the test build open, registered by ``bridgekeeper
    install`` alone; ``env`` is added to the environment inside the sandbox."""
    server = ResultsServer()
    browser: Browser | None = None
    try:
        install_flatpak(home, name)
        browser = start_sandboxed(name, home, server, env or {})
        browser.wait_ready(ready_timeout)
        yield browser
    finally:
        if browser is not None:
            browser.stop()
        server.close()
