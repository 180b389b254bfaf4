"""Golden cases for the dashboards analyses, appended to ``golden.CASES``."""

from __future__ import annotations

from tests.analysis.golden import GoldenCase

CASES: list[GoldenCase] = []
