"""The one way the app writes a file it owns (settings, remembered decisions, manifests,
launchers, autostart entries): atomically, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: a temp file in the same folder, fsync,
    ``os.replace``, then fsync the folder so the rename lasts too. ``mode`` is the new
    file's permission bits; the folder must exist. Raises ``OSError`` on failure, leaving
    no temp file behind."""
    import tempfile  # here: the app's start writes nothing and need not wait for it

    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    # Without this a power cut can bring the old file back (the rename lives in the folder).
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
