"""Every command of the CLI is documented in docs/cli.md (and vice versa)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from kam.cli import app

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def _commands(t: typer.Typer, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for cmd in t.registered_commands:
        name = cmd.name or (cmd.callback.__name__ if cmd.callback else "")
        names.add(prefix + name.replace("_", "-").strip("-"))
    for group in t.registered_groups:
        assert group.typer_instance is not None
        names |= _commands(group.typer_instance, f"{prefix}{group.name} ")
    return names


def test_every_command_has_a_section_in_the_cli_reference() -> None:
    documented = set(
        re.findall(r"^## `kam ([a-z][a-z -]*?)(?: \[| [A-Z]|`)", DOCS.read_text(), re.M)
    )
    assert _commands(app) == documented
