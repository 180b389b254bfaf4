"""Every analysis of the registry, and each of its parameters and output columns,
is documented in docs/analyses.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.analysis.registry import REGISTRY

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "analyses.md").read_text()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_analysis_is_documented_with_its_parameters_and_columns(name: str) -> None:
    section_start = DOCS.index(f"## `{name}`")
    following = DOCS.find("\n## ", section_start + 1)
    section = DOCS[section_start : following if following != -1 else None]
    analysis = REGISTRY[name]
    for p in analysis.parameters:
        assert f"`{p.name}`" in section, (name, p.name)
    for column, _ in analysis.output_columns:
        assert f"`{column}`" in section, (name, column)
