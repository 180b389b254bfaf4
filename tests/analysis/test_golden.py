"""The golden cases of golden.py on every backend a fixture provides.

To run them on another engine, add a fixture that yields an Ibis connection and list
its name in BACKENDS (e.g. a PostgreSQL or local PySpark connection).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ibis
import pytest

from tests.analysis.golden import CASES, GoldenCase, check_case

BACKENDS = ["duckdb_backend"]


@pytest.fixture
def duckdb_backend() -> Iterator[Any]:
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_gives_the_hand_computed_result(
    case: GoldenCase, backend: str, request: pytest.FixtureRequest
) -> None:
    check_case(case, request.getfixturevalue(backend))
