"""The analytics engine: Ibis tables over the store, a workbook, Parquet or a warehouse.

>>> engine = open_engine("store")          # doctest: +SKIP
>>> engine.tables()["Revenue"]             # doctest: +SKIP
"""

from kam.engine.arrow import (
    MONEY_TYPE,
    arrow_schema,
    arrow_to_table,
    arrow_type,
    cents_to_money,
    portfolio_to_arrow,
    table_to_arrow,
)
from kam.engine.cache import ResultCache, SnapshotCache
from kam.engine.core import DERIVED, Engine, derive, open_engine
from kam.engine.sources import Source, parse_source

__all__ = [
    "DERIVED",
    "MONEY_TYPE",
    "Engine",
    "ResultCache",
    "SnapshotCache",
    "Source",
    "arrow_schema",
    "arrow_to_table",
    "arrow_type",
    "cents_to_money",
    "derive",
    "open_engine",
    "parse_source",
    "portfolio_to_arrow",
    "table_to_arrow",
]
