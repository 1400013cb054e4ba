"""macOS: the per-user folder that holds the app's socket.

macOS gives each user a private temporary folder (``/var/folders/xx/<id>/T/``, mode 0700,
owned by the user; ``$TMPDIR`` points at it in a login session). The system reports it
through ``confstr(_CS_DARWIN_USER_TEMP_DIR)``, which reads no environment variable, so a
browser that starts the host with another ``TMPDIR`` still finds the same folder. There
is no fallback to a path under ``/tmp``: any user can create that first.

Standard library only; ``host.transport.runtime_dir`` uses it on macOS.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

CS_DARWIN_USER_TEMP_DIR = 65537
"""``_CS_DARWIN_USER_TEMP_DIR`` from macOS's <unistd.h> (``os.confstr_names`` lacks it)."""
FOLDER = "bridgekeeper"


def _confstr(name: int) -> str | None:
    if sys.platform == "win32":
        return None
    try:
        return os.confstr(name)
    except (ValueError, OSError):  # not macOS, or the system does not know it
        return None


def _private_folder(path: str) -> bool:
    """A real folder (not a link) owned by this user, closed to everyone else."""
    if sys.platform == "win32":
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


def user_temp_dir(
    confstr: Callable[[int], str | None] = _confstr,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """This user's private temporary folder: the system's answer, else ``$TMPDIR`` if it
    is a private folder of this user's; ``None`` when neither is known."""
    found = confstr(CS_DARWIN_USER_TEMP_DIR)
    if found:
        return found
    tmpdir = environ.get("TMPDIR", "")
    if tmpdir and _private_folder(tmpdir):
        return tmpdir
    return None


def runtime_dir(
    confstr: Callable[[int], str | None] = _confstr,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """The folder for the socket and the locks (created 0700 by whoever needs it first),
    or ``None`` when this user has no private temporary folder to put it in."""
    base = user_temp_dir(confstr, environ)
    return os.path.join(base, FOLDER) if base else None
