"""The golden cases of tests/analysis/golden.py on PostgreSQL and on local PySpark.

The same cases, the same expected values: a backend that answers differently has a
portability bug in the analysis expression, not a looser expectation here.

PostgreSQL runs when ``KAM_TEST_POSTGRES_URL`` is set, in a fresh schema dropped
afterwards. PySpark runs when ``pyspark`` is importable (the ``spark`` extra), with one
local session for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import ibis
import pytest

from tests.analysis.golden import CASES, GoldenCase, check_case
from tests.conftest import postgres_backend_in_schema

pytestmark = [
    # pyspark 4.0 converts results through pandas, which pandas 3 warns about.
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    # py4j leaves its gateway sockets to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def postgres_backend() -> Iterator[Any]:
    """An Ibis postgres connection whose tables go to a fresh schema."""
    with postgres_backend_in_schema("kam_golden") as con:
        yield con


class _SparkViews:
    """An Ibis PySpark connection whose ``create_table`` registers a temp view.

    The warehouse mode reads temp views (or catalog tables) a company already has;
    temp views also keep the tests from writing a ``spark-warehouse`` folder.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.con = ibis.pyspark.connect(session)

    def create_table(self, name: str, data: Any) -> Any:
        # Rows as Python values: through pandas a null string becomes the text 'NaN'.
        rows = [tuple(r.values()) for r in data.to_pylist()]
        frame = self.session.createDataFrame(rows, schema=_spark_schema(data))
        frame.createOrReplaceTempView(name)
        return self.con.table(name)


def _spark_schema(data: Any) -> Any:
    from pyspark.sql import types as T

    def spark_type(t: Any) -> Any:
        import pyarrow as pa

        if pa.types.is_decimal(t):
            return T.DecimalType(t.precision, t.scale)
        if pa.types.is_string(t):
            return T.StringType()
        if pa.types.is_integer(t):
            return T.LongType()
        if pa.types.is_floating(t):
            return T.DoubleType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_date(t):
            return T.DateType()
        raise TypeError(f"no Spark type for {t}")

    return T.StructType(
        [T.StructField(f.name, spark_type(f.type), True) for f in data.schema]
    )


@pytest.fixture(scope="module")
def spark_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_SparkViews]:
    """One local Spark session for the module (starting one takes seconds)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("kam-golden")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        yield _SparkViews(session)
    finally:
        session.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_gives_the_same_result_on_postgresql(
    case: GoldenCase, postgres_backend: Any
) -> None:
    check_case(case, postgres_backend)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_gives_the_same_result_on_pyspark(
    case: GoldenCase, spark_backend: _SparkViews
) -> None:
    check_case(case, spark_backend)


@pytest.mark.spark
@pytest.mark.slow
def test_engine_reads_sheet_named_spark_views_as_a_warehouse(
    spark_backend: _SparkViews,
) -> None:
    """The worked check of analyses.md §1 through the engine's warehouse mode."""
    import pyarrow as pa

    from kam.engine import open_engine

    amounts = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]
    ids = [f"W{i:02d}" for i in range(1, 11)]
    spark_backend.create_table(
        "Accounts",
        pa.table({"account_id": ids, "name": [f"Name {i}" for i in ids]}),
    )
    spark_backend.create_table(
        "REVENUE",
        pa.table(
            {
                "account_id": ids,
                "period": ["2024"] * 10,
                "amount": pa.array([Decimal(a) for a in amounts], pa.decimal128(18, 2)),
            }
        ),
    )
    engine = open_engine(spark_backend.con)
    try:
        result = engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
    finally:
        engine.close()
    assert result.summary["k"] == 4
    assert result.summary["cum_share_at_k"] == pytest.approx(0.85)
    assert result.summary["hhi"] == pytest.approx(0.24855)
    assert result.summary["gini"] == pytest.approx(0.591)
    assert result.rows[0]["value"] == Decimal("400.00")
    assert result.rows[0]["name"] == "Name W01"
