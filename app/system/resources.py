"""Where the app's files (icons, the demo extension) are: ``assets/`` beside the code.

Looked up with ``importlib.resources`` first (an installed package or a PyInstaller bundle
that ships ``assets`` as data), then the repository's own ``assets/`` folder.
"""

from __future__ import annotations

import importlib.resources
import sys
from functools import cache
from pathlib import Path

REPO_ASSETS = Path(__file__).resolve().parents[2] / "assets"


class MissingAsset(FileNotFoundError):
    """An asset the app needs is not where the app was installed."""


@cache
def assets_dir() -> Path:
    """The ``assets`` folder: bundled (``sys._MEIPASS/assets``), packaged (``app/assets``,
    via importlib.resources), or the repository's."""
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "assets")
    packaged = importlib.resources.files("app") / "assets"
    if isinstance(packaged, Path):
        candidates.append(packaged)
    candidates.append(REPO_ASSETS)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise MissingAsset(f"no assets folder; looked in {', '.join(map(str, candidates))}")


def asset(relative: str) -> Path:
    """The path of ``relative`` inside ``assets``; ``MissingAsset`` when it is absent."""
    path = assets_dir() / relative
    if not path.exists():
        raise MissingAsset(f"missing asset {relative!r} (looked in {assets_dir()})")
    return path


ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def icon_files(state: str = "") -> list[Path]:
    """The PNGs of the app icon for ``state`` ("", "waiting" or "paused"), small first."""
    stem = "bridgekeeper" + (f"-{state}" if state else "")
    return [asset(f"icons/{stem}-{size}.png") for size in ICON_SIZES]
