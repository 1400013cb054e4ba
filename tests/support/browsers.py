"""Real browsers for tests and benchmarks: headless Chromium and Firefox ESR running a test
build of the demo extension, driven over a 127.0.0.1 results channel.

Typical use::

    with open_browser("chromium", home) as browser:      # registers the host, starts it
        reply = browser.run({"op": "request", "message": {"type": "ping"}})

The test build is ``assets/extension`` plus ``tests/support/browser_extension`` (a page that
long-polls :class:`ResultsServer` for commands, runs each with the demo's client module
``vendor/bridgekeeper.js`` and posts the outcome back). Each command is a JSON object with an
``op`` (see ``tests/support/browser_extension/test.js``); each outcome is ``{"value": ...}`` or
``{"error": {"code", "message", "reply"}}``.

Browsers run in their own session and are stopped by process group, never by name; the
native hosts they started are found by their ``BRIDGEKEEPER_HOME`` and reaped too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from tests.support.harness import CHROME_ID, FIREFOX_ID, Home, app_command, host_command, wait_for

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "assets" / "extension"
# Puts the client package's module into an extension folder, as the demo's build step.
COPY_CLIENT = ROOT / "clients" / "js" / "scripts" / "copy-into-extension"
TEST_PAGES = Path(__file__).resolve().parent / "browser_extension"
HOST_NAME = "org.bridgekeeper.host"
DEMO_NAME = "Bridgekeeper demo"
BrowserName = Literal["chromium", "firefox"]
BROWSERS: tuple[BrowserName, ...] = ("chromium", "firefox")

CHROMIUM_FLAGS = [
    "--headless=new",
    "--window-size=1000,1000",
    "--no-sandbox",  # the tests run as root here
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

# Unsigned add-ons load from the profile only with both of the first two; the rest keep
# Firefox off the network (updates, telemetry, remote settings) and quiet.
FIREFOX_PREFS: dict[str, object] = {
    "xpinstall.signatures.required": False,
    "extensions.autoDisableScopes": 0,
    "extensions.enabledScopes": 15,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.webextensions.restrictedDomains": "",
    "app.update.enabled": False,
    "app.update.auto": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "browser.tabs.warnOnClose": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.ping-centre.telemetry": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "telemetry.fog.test.localhost_port": -1,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "services.settings.server": "http://127.0.0.1:1/",
    "dom.min_background_timeout_value": 4,  # the test page may sit in a background tab
    "dom.timeout.enable_budget_timer_throttling": False,
    "privacy.reduceTimerPrecision": False,  # 1 ms steps would blur the benchmark
}


def chrome_id_from_key(key: str) -> str:
    """Chromium's extension id for a manifest ``key``: sha256 of the DER public key,
    first 32 hex digits mapped 0-f to a-p."""
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


class ResultsServer:
    """The 127.0.0.1 channel: the test page long-polls ``/next`` for commands and posts
    each outcome to ``/result/<seq>``."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: list[dict[str, Any]] = []
        self._results: dict[int, Any] = {}
        self._seq = 0
        self.polled = threading.Event()
        self.hello: Any = None
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def submit(self, command: Mapping[str, Any]) -> int:
        """Queue a command for the page; its outcome is :meth:`result` of the number."""
        with self._lock:
            self._seq += 1
            self._queue.append({**command, "seq": self._seq})
            self._lock.notify_all()
            return self._seq

    def result(self, seq: int, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while seq not in self._results:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no outcome for command {seq} within {timeout} s")
                self._lock.wait(left)
            return self._results.pop(seq)

    def done(self, seq: int) -> bool:
        with self._lock:
            return seq in self._results

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _next_batch(self, wait: float) -> list[dict[str, Any]]:
        self.polled.set()
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._queue and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            batch, self._queue = self._queue, []
            return batch

    def _post(self, path: str, body: Any) -> None:
        with self._lock:
            if path == "/hello":
                self.hello = body
            elif path.startswith("/result/"):
                self._results[int(path.rsplit("/", 1)[1])] = body
            self._lock.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per poll would drown the test output

            def _send(self, body: bytes) -> None:
                self.send_response(200)
                # The page is an extension origin: allow it even without host permission.
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The browser may be stopped with a poll pending: nothing to deliver to.
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/next":
                    self._send(json.dumps(server._next_batch(5.0)).encode())
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                server._post(self.path, body)
                self._send(b"{}")

        return Handler


def build_test_extension(dest: Path, server_url: str) -> Path:
    """The demo extension plus the test page, told where the results server listens."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(EXTENSION, dest)
    subprocess.run([str(COPY_CLIENT), str(dest)], check=True, timeout=30)
    for item in TEST_PAGES.iterdir():
        shutil.copy(item, dest / item.name)
    (dest / "config.js").write_text(f"export const SERVER = {json.dumps(server_url)};\n")
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["name"] += " (test build)"
    manifest["permissions"] = [*manifest["permissions"], "tabs"]
    manifest["host_permissions"] = ["http://127.0.0.1/*", "<all_urls>"]  # (screenshots)
    manifest["background"] = {
        "service_worker": "test_background.js",
        "scripts": ["background.js", "test_background.js"],
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return dest


def write_xpi(extension: Path, xpi: Path) -> Path:
    xpi.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(xpi, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(extension.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(extension).as_posix())
    return xpi


def chromium_profile(home: Home) -> Path:
    return home.root / "chromium"


def firefox_profile(home: Home) -> Path:
    return home.root / "firefox"


def manifest_folder(browser: BrowserName, home: Home) -> Path:
    """Where the browser started by :func:`open_browser` reads native host manifests."""
    if browser == "chromium":
        return chromium_profile(home) / "NativeMessagingHosts"
    return home.home / ".mozilla" / "native-messaging-hosts"


def install_host(browser: BrowserName, home: Home) -> subprocess.CompletedProcess[str]:
    """Register the host with the product's own ``bridgekeeper install``."""
    command = [*app_command(), "install", "--browser", browser]
    if browser == "chromium":
        # The profile folder exists once the browser ran with it; install takes only that.
        chromium_profile(home).mkdir(parents=True, exist_ok=True)
        command += [
            "--user-data-dir",
            str(chromium_profile(home)),
            "--extension",
            f"{CHROME_ID}={DEMO_NAME}",
        ]
    else:
        command += ["--extension", f"{FIREFOX_ID}={DEMO_NAME}"]
    done = subprocess.run(
        command, env=home.env(), capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done


def write_host_manifest(
    browser: BrowserName, home: Home, name: str, executable: Path, description: str
) -> Path:
    """A native host manifest written by hand (for hosts other than ours, e.g. the
    benchmark's echo host)."""
    folder = manifest_folder(browser, home)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {
        "name": name,
        "description": description,
        "path": str(executable),
        "type": "stdio",
    }
    if browser == "chromium":
        manifest["allowed_origins"] = [f"chrome-extension://{CHROME_ID}/"]
    else:
        manifest["allowed_extensions"] = [FIREFOX_ID]
    path = folder / f"{name}.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path


def host_pids(home: Home) -> list[int]:
    """Native host processes started for this home (by any browser): matched by the
    ``BRIDGEKEEPER_HOME`` in their environment, so parallel tests never collide."""
    marker = f"BRIDGEKEEPER_HOME={home.bk_home}".encode()
    host = Path(host_command()[0]).name.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if host not in cmdline and b"host.relay" not in cmdline:
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def app_pids(home: Home) -> list[int]:
    """App processes serving this home, e.g. one a host started (by its environment)."""
    marker = f"BRIDGEKEEPER_HOME={home.bk_home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if not any(Path(a.decode(errors="replace")).name == "bridgekeeper" for a in argv[:2]):
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@dataclass
class Browser:
    """A running browser with the test page open, driven through ``server``."""

    name: BrowserName
    home: Home
    process: subprocess.Popen[bytes]
    server: ResultsServer
    log_path: Path
    stopped: bool = field(default=False)

    def submit(self, command: Mapping[str, Any]) -> int:
        return self.server.submit(command)

    def result(self, seq: int, timeout: float = 30.0) -> Any:
        try:
            return self.server.result(seq, timeout)
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.name} log tail:\n{self.log_tail()}") from None

    def run(self, command: Mapping[str, Any], timeout: float = 30.0) -> Any:
        """Run one command in the page and return its outcome."""
        return self.result(self.submit(command), timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            return self.server.polled.is_set()

        try:
            wait_for(ready, timeout, f"the test page in {self.name}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.name} log tail:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the browser's whole process group, then any host it left behind."""
        if self.stopped:
            return
        self.stopped = True
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # helpers that outlived the leader
        # Hosts exit on end of input; one that does not is killed by its own pid.
        deadline = time.monotonic() + 3.0
        while (left := host_pids(self.home)) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in left:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start_chromium(
    home: Home, extension: Path, server: ResultsServer, env: Mapping[str, str] | None = None
) -> Browser:
    """Headless Chromium with ``--user-data-dir`` and the extension loaded unpacked."""
    profile = chromium_profile(home)
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        shutil.which("chromium") or "chromium",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--load-extension={extension}",
        f"--disable-extensions-except={extension}",
        "about:blank",
    ]
    return _launch("chromium", home, command, server, env)


def start_firefox(
    home: Home, extension: Path, server: ResultsServer, env: Mapping[str, str] | None = None
) -> Browser:
    """Headless Firefox ESR with a temporary ``HOME`` and profile, the extension installed
    unsigned as ``<profile>/extensions/<gecko id>.xpi``."""
    profile = firefox_profile(home)
    profile.mkdir(parents=True, exist_ok=True)
    write_xpi(extension, profile / "extensions" / f"{FIREFOX_ID}.xpi")
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items())
    )
    command = [
        shutil.which("firefox-esr") or "firefox-esr",
        "--headless",
        "--no-remote",
        "--profile",
        str(profile),
        "about:blank",
    ]
    extra = {"MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1"}
    return _launch("firefox", home, command, server, {**extra, **(env or {})})


def _launch(
    name: BrowserName,
    home: Home,
    command: list[str],
    server: ResultsServer,
    env: Mapping[str, str] | None,
) -> Browser:
    log_path = home.root / f"{name}.log"
    # A short TMPDIR: Chromium aborts on a long socket path.
    full_env = home.env({"TMPDIR": str(home.root), **(env or {})})
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Browser(name, home, process, server, log_path)


@contextmanager
def open_browser(
    name: BrowserName,
    home: Home,
    env: Mapping[str, str] | None = None,
    install: bool = True,
    ready_timeout: float = 60.0,
) -> Iterator[Browser]:
    """A browser with the test build open and ready for commands; ``install`` registers
    the host first with ``bridgekeeper install``. ``env`` is added to the browser's (and
    so the host's) environment on top of ``home.env()``."""
    server = ResultsServer()
    browser: Browser | None = None
    try:
        if install:
            install_host(name, home)
        extension = build_test_extension(home.root / f"ext-{name}", server.url)
        start = start_chromium if name == "chromium" else start_firefox
        browser = start(home, extension, server, env)
        browser.wait_ready(ready_timeout)
        yield browser
    finally:
        if browser is not None:
            browser.stop()
        server.close()
