"""The local socket's trust rules on real folders and sockets: what ``check_private_dir``
accepts and refuses (never following, never repairing), who ``peer_credentials`` says is
at the other end; the caller read from argv; and the app's other folders."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from app.system import folders
from host import protocol, transport
from host.caller import CHROMIUM, FIREFOX, UNKNOWN, Caller, parse_caller
from tests.support.needs import NOT_ROOT

ID = "jkdnicfhmapgokpkghnoknfplbgkmjan"
as_root = pytest.mark.skipif(NOT_ROOT, reason="changing a folder's owner needs root")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "run"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_private_folder_of_ours_is_accepted(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    assert transport.check_private_dir(str(folder)) is True


def test_a_missing_folder_is_reported_absent(folder: Path) -> None:
    assert transport.check_private_dir(str(folder)) is False


def test_ensure_creates_the_folder_0700(folder: Path) -> None:
    old = os.umask(0)
    try:
        transport.ensure_private_dir(str(folder))
    finally:
        os.umask(old)
    assert mode(folder) == 0o700


@pytest.mark.parametrize("bits", [0o755, 0o777, 0o710, 0o701])
def test_a_folder_open_to_others_is_refused_not_repaired(folder: Path, bits: int) -> None:
    folder.mkdir()
    folder.chmod(bits)
    with pytest.raises(transport.SocketPathError) as refused:
        transport.ensure_private_dir(str(folder))
    assert refused.value.fix == f"chmod 700 {folder}"
    assert mode(folder) == bits


def test_a_symlink_is_refused_and_never_followed(tmp_path: Path, folder: Path) -> None:
    target = tmp_path / "home-of-someone"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    folder.symlink_to(target)
    for check in (transport.check_private_dir, transport.ensure_private_dir):
        with pytest.raises(transport.SocketPathError) as refused:
            check(str(folder))
        assert "symbolic link" in str(refused.value)
        assert refused.value.fix == f"rm {folder}"
    assert mode(target) == 0o755  # the target was never touched
    assert list(target.iterdir()) == []


def test_a_symlink_to_a_private_folder_of_ours_is_refused_too(tmp_path: Path, folder: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    folder.symlink_to(target)
    with pytest.raises(transport.SocketPathError):
        transport.check_private_dir(str(folder))


def test_a_file_where_the_folder_should_be_is_refused(folder: Path) -> None:
    folder.write_text("")
    with pytest.raises(transport.SocketPathError) as refused:
        transport.ensure_private_dir(str(folder))
    assert "not a folder" in str(refused.value)


@as_root
def test_a_folder_of_another_user_is_refused_and_left_alone(folder: Path) -> None:
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    os.chown(folder, 54321, 54321)
    with pytest.raises(transport.SocketPathError) as refused:
        transport.ensure_private_dir(str(folder))
    assert "uid 54321" in refused.value.problem
    assert "not yours to remove" in refused.value.fix
    assert mode(folder) == 0o777
    assert os.lstat(folder).st_uid == 54321


@as_root
def test_connect_never_speaks_through_a_folder_of_another_user(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(folder / "bk.sock"))
        server.listen()
        os.chown(folder, 54321, 54321)
        with pytest.raises(transport.SocketPathError):
            transport.connect(str(folder / "bk.sock"))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody even connected


def test_peer_credentials_name_this_process() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert transport.peer_credentials(left) == (os.geteuid(), os.getpid())
        assert transport.check_peer(right, "pair") == os.getpid()


def test_connect_says_none_when_nothing_listens(folder: Path) -> None:
    assert transport.connect(str(folder / "bk.sock")) is None  # no folder
    folder.mkdir(mode=0o700)
    assert transport.connect(str(folder / "bk.sock")) is None  # no socket
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(folder / "bk.sock"))
    stale.close()
    assert transport.connect(str(folder / "bk.sock")) is None  # a stale socket file


def test_connect_to_a_full_backlog_is_busy_not_a_wait(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    path = str(folder / "bk.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(0)  # never accepts: what a stopped app looks like
        links: list[transport.AppLink] = []
        try:
            with pytest.raises(transport.AppBusy):
                fill_backlog(path, links)
        finally:
            for link in links:
                link.close()


def fill_backlog(path: str, links: list[transport.AppLink]) -> None:
    for _ in range(100):
        link = transport.connect(path)
        assert link is not None
        links.append(link)


def test_a_link_queues_what_the_app_does_not_take_without_blocking(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    path = str(folder / "bk.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        link = transport.connect(path)
        assert link is not None
        peer, _ = server.accept()
        with peer:
            payload = b"x" * protocol.MAX_SOCKET_FRAME_BYTES
            for seq in range(4):  # far more than the socket holds; nobody reads yet
                link.queue(protocol.REQUEST, seq, payload)
            assert link.unsent > 0
            peer.settimeout(5)
            reader = protocol.SocketFrames()
            got: list[tuple[int, int, bytes]] = []
            while len(got) < 4:
                link.flush()
                reader.feed(peer.recv(1 << 20))
                while (frame := reader.next_frame()) is not None:
                    got.append(frame)
            assert [(kind, seq, len(p)) for kind, seq, p in got] == [
                (protocol.REQUEST, seq, len(payload)) for seq in range(4)
            ]
            assert link.flush()
            assert link.unsent == 0
        link.close()


def test_socket_frames_tell_the_size_of_the_frame_in_progress() -> None:
    frames = protocol.SocketFrames()
    assert frames.in_progress() == 0
    frames.feed(protocol.socket_frame(protocol.REQUEST, 1, b"x" * 1000)[:20])
    assert frames.in_progress() == protocol.SOCKET_HEADER.size + 1000


ARGV: list[tuple[list[str], Caller]] = [
    ([f"chrome-extension://{ID}/"], Caller(CHROMIUM, ID)),
    ([f"chrome-extension://{ID}/", "--parent-window=42"], Caller(CHROMIUM, ID, parent_window=42)),
    (["--parent-window=7", f"chrome-extension://{ID}/"], Caller(CHROMIUM, ID, parent_window=7)),
    ([f"chrome-extension:///{ID}/"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID}//"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID}"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID}/page.html"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID.upper()}/"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID}x/"], Caller(UNKNOWN, "")),
    (["chrome-extension://x/"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID}/", "extra"], Caller(UNKNOWN, "")),
    ([f"chrome-extension://{ID[:-1]}q/"], Caller(UNKNOWN, "")),
    (
        ["/home/u/.mozilla/native-messaging-hosts/org.bridgekeeper.host.json", "a@b.org"],
        Caller(FIREFOX, "a@b.org"),
    ),
    (["relative/org.bridgekeeper.host.json", "a@b.org"], Caller(UNKNOWN, "")),
    (["/home/u/manifest.txt", "a@b.org"], Caller(UNKNOWN, "")),
    (["/home/u/org.bridgekeeper.host.json", ""], Caller(UNKNOWN, "")),
    (["/home/u/org.bridgekeeper.host.json", "a@b.org", "more"], Caller(UNKNOWN, "")),
    (["/home/u/org.bridgekeeper.host.json"], Caller(UNKNOWN, "")),
    ([ID], Caller(UNKNOWN, "")),
    ([], Caller(UNKNOWN, "")),
]


@pytest.mark.parametrize(("argv", "expected"), ARGV, ids=[" ".join(a) or "-" for a, _ in ARGV])
def test_the_caller_is_only_a_form_browsers_write(argv: list[str], expected: Caller) -> None:
    assert parse_caller(argv) == expected


def test_a_settings_folder_behind_a_link_is_used_and_its_target_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "dotfiles"
    target.mkdir()
    target.chmod(0o755)
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "config").symlink_to(target)
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(tmp_path / "bk"))
    assert folders.config_dir() == tmp_path / "bk" / "config"
    assert mode(target) == 0o755  # never changed through a link


def test_a_real_settings_folder_open_to_others_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bk" / "data").mkdir(parents=True)
    (tmp_path / "bk" / "data").chmod(0o755)
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(tmp_path / "bk"))
    folders.data_dir()
    assert mode(tmp_path / "bk" / "data") == 0o700


@as_root
def test_a_settings_folder_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bk" / "config").mkdir(parents=True)
    os.chown(tmp_path / "bk" / "config", 54321, 54321)
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(tmp_path / "bk"))
    with pytest.raises(folders.FolderError, match="uid 54321"):
        folders.config_dir()


# --- Flatpak sandboxes -----------------------------------------------------------------

CHROMIUM_APP = "org.chromium.Chromium"


def flatpak_info(tmp_path: Path, text: str) -> str:
    path = tmp_path / "flatpak-info"
    path.write_text(text)
    return str(path)


def test_outside_a_sandbox_there_is_no_app_id(tmp_path: Path) -> None:
    assert transport.flatpak_app_id(str(tmp_path / "absent")) is None


def test_the_app_id_is_read_from_the_application_group_of_flatpak_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLATPAK_ID", raising=False)
    info = flatpak_info(
        tmp_path,
        "[Runtime]\nname=org.freedesktop.Platform\n\n[Application]\n"
        f"runtime=runtime/x\nname = {CHROMIUM_APP}\n[Instance]\nname=other.app.id\n",
    )
    assert transport.flatpak_app_id(info) == CHROMIUM_APP
    monkeypatch.setenv("FLATPAK_ID", CHROMIUM_APP)
    assert transport.flatpak_app_id(info) == CHROMIUM_APP


@pytest.mark.parametrize(
    "name",
    [
        "",
        "chromium",
        "../../etc",
        "org.chromium/../x",
        "org..x",
        "org.chromium.",
        "örg.x.y",
        "a." + "b" * 254,
        "org.chro mium.x",
    ],
)
def test_flatpak_info_naming_no_valid_app_id_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("FLATPAK_ID", raising=False)
    info = flatpak_info(tmp_path, f"[Application]\nname={name}\n")
    with pytest.raises(transport.SocketPathError, match="names no Flatpak app id"):
        transport.flatpak_app_id(info)


def test_flatpak_info_without_an_application_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLATPAK_ID", raising=False)
    info = flatpak_info(tmp_path, f"[Runtime]\nname={CHROMIUM_APP}\n")
    with pytest.raises(transport.SocketPathError, match="names no Flatpak app id"):
        transport.flatpak_app_id(info)


def test_a_flatpak_id_that_disagrees_with_flatpak_info_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLATPAK_ID", "org.mozilla.firefox")
    info = flatpak_info(tmp_path, f"[Application]\nname={CHROMIUM_APP}\n")
    with pytest.raises(transport.SocketPathError, match="FLATPAK_ID says"):
        transport.flatpak_app_id(info)


def test_sandbox_sockets_follow_xdg_runtime_dir_even_under_bridgekeeper_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(tmp_path / "bk"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert transport.sandbox_socket_path(CHROMIUM_APP) == (
        f"/run/user/1000/app/{CHROMIUM_APP}/bridgekeeper/bk.sock"
    )
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    with pytest.raises(transport.SocketPathError, match="XDG_RUNTIME_DIR is not set"):
        transport.sandbox_socket_path(CHROMIUM_APP)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    with pytest.raises(transport.SocketPathError, match="is not a Flatpak app id"):
        transport.sandbox_socket_path("../bridgekeeper")


def test_the_app_creates_flatpaks_folder_and_ours_0700(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert transport.check_sandbox_dirs(CHROMIUM_APP) is False
    old = os.umask(0)
    try:
        ours = transport.ensure_sandbox_dirs(CHROMIUM_APP)
    finally:
        os.umask(old)
    shared = tmp_path / "app" / CHROMIUM_APP
    assert ours == str(shared / "bridgekeeper")
    assert [mode(tmp_path / "app"), mode(shared), mode(shared / "bridgekeeper")] == [0o700] * 3
    assert transport.check_sandbox_dirs(CHROMIUM_APP) is True
    transport.ensure_sandbox_dirs(CHROMIUM_APP)  # again: all there already


def test_a_link_where_flatpaks_folder_belongs_is_refused_and_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "app").mkdir(mode=0o700)
    (tmp_path / "app" / CHROMIUM_APP).symlink_to(target)
    for check in (transport.check_sandbox_dirs, transport.ensure_sandbox_dirs):
        with pytest.raises(transport.SocketPathError) as refused:
            check(CHROMIUM_APP)
        assert "is a symbolic link" in refused.value.problem
        assert "Flatpak creates it again" in refused.value.fix
    assert list(target.iterdir()) == []


def test_flatpaks_folder_open_to_others_is_refused_not_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    shared = tmp_path / "app" / CHROMIUM_APP
    shared.mkdir(parents=True)
    shared.chmod(0o755)
    with pytest.raises(transport.SocketPathError) as refused:
        transport.ensure_sandbox_dirs(CHROMIUM_APP)
    assert refused.value.fix == f"chmod 700 {shared}"
    assert mode(shared) == 0o755
    assert list(shared.iterdir()) == []


@as_root
def test_flatpaks_folder_of_another_user_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    shared = tmp_path / "app" / CHROMIUM_APP
    shared.mkdir(parents=True, mode=0o700)
    os.chown(shared, 54321, 54321)
    with pytest.raises(transport.SocketPathError) as refused:
        transport.ensure_sandbox_dirs(CHROMIUM_APP)
    assert "belongs to user 54321 (uid 54321)" in refused.value.problem
    assert f"sudo rm -r {shared}" in refused.value.fix
    assert list(shared.iterdir()) == []
