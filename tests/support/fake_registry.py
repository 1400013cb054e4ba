"""A FAKE Windows registry: string values of keys in a dict. There is no registry on this
machine; the fake stands in for ``app.system.registry.WindowsRegistry``."""

from __future__ import annotations


class FakeRegistry:
    """``values[(key, name)]``; ``name`` "" is a key's default value. ``fail`` makes every
    write raise ``PermissionError`` as a refused write would."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}
        self.fail = False

    def get(self, key: str, name: str = "") -> str | None:
        return self.values.get((key, name))

    def set(self, key: str, value: str, name: str = "") -> None:
        if self.fail:
            raise PermissionError("access denied")
        self.values[(key, name)] = value

    def delete(self, key: str, name: str = "") -> None:
        if name:
            self.values.pop((key, name), None)
        else:
            for found in [k for k in self.values if k[0] == key]:
                del self.values[found]

    def defaults(self) -> dict[str, str]:
        """Each key's default value: how browsers find manifests."""
        return {key: value for (key, name), value in self.values.items() if not name}
