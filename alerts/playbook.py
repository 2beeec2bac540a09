"""Response playbooks: what the PR team should do (and not do) first, chosen by the crisis signal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.errors import AlertError
from analyzers.resources import bundled, read_toml


@dataclass(frozen=True)
class Playbook:
    category: str
    title: str
    steps: tuple[str, ...]
    avoid: tuple[str, ...]
    holding_statement: str

    def as_payload(self) -> dict:
        return {"category": self.category, "title": self.title, "steps": list(self.steps),
                "avoid": list(self.avoid), "holding_statement": self.holding_statement}


def load_playbooks(path: str | Path | None = None) -> dict[str, Playbook]:
    """Playbooks keyed by signal category; `default` must exist."""
    source: Any = Path(path) if path else bundled("playbooks.toml")
    try:
        tables = read_toml(source)
    except (OSError, ValueError) as exc:
        raise AlertError(f"playbook: cannot read {source}: {exc}") from exc
    playbooks = {}
    for category, table in tables.items():
        try:
            playbooks[category] = Playbook(
                category=category, title=str(table["title"]), steps=tuple(map(str, table["steps"])),
                avoid=tuple(map(str, table["avoid"])), holding_statement=str(table["holding_statement"]),
            )
        except (KeyError, TypeError) as exc:
            raise AlertError(f"playbook: {source}: [{category}] is missing {exc}") from exc
    if "default" not in playbooks:
        raise AlertError(f"playbook: {source}: a [default] playbook is required")
    return playbooks


def choose_playbook(playbooks: dict[str, Playbook], signal_weights: Counter[str]) -> Playbook:
    """The playbook of the heaviest signal category present, else the default."""
    for category, _ in signal_weights.most_common():
        if category in playbooks:
            return playbooks[category]
    return playbooks["default"]
