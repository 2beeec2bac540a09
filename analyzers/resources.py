"""Find the bundled lexicons and models (the `config` folder ships inside the package)."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


def bundled(*parts: str) -> Traversable:
    """A file in the bundled `config` folder, installed or in a checkout."""
    node: Traversable = files("listener_config")
    for part in parts:
        node = node / part
    return node


def read_text(path: str | Path | Traversable) -> str:
    return (Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8")


def read_toml(path: str | Path | Traversable) -> dict[str, Any]:
    return tomllib.loads(read_text(path))
