"""The result every analysis returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

__all__ = ["AnalysisResult", "jsonable"]


def jsonable(value: object) -> object:
    """``value`` with Decimals as exact strings, dates as ISO text, tuples as lists.

    Floats (shares, ratios) stay floats; dicts and lists are converted recursively.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass
class AnalysisResult:
    """What an analysis computed and how.

    - ``analysis``: the registry name (``'pareto'``, ``'abc'``).
    - ``parameters``: every parameter value used, after defaults and resolution
      (the period range actually analysed); JSON-able.
    - ``summary``: headline figures; JSON-able, money as exact decimal strings
      (``"1000.00"``), shares and ratios as floats in 0…1.
    - ``rows``: the main table, one dict per row, keyed by the registry's output
      columns; money as :class:`~decimal.Decimal`.
    - ``tables``: further tables by name (class summary, migration matrix, ...), rows
      as in ``rows``.
    - ``warnings``: notices in plain words (a shortened range, too few periods, ...).
    - ``top_level``: names of ``tables`` that the JSON also gives as top-level keys
      (the stakeholder map's ``paths``).
    """

    analysis: str
    parameters: dict[str, object]
    summary: dict[str, object]
    rows: list[dict[str, object]]
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    top_level: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The result as JSON-able data (see :func:`jsonable`)."""
        out: dict[str, object] = {
            "analysis": self.analysis,
            "parameters": jsonable(self.parameters),
            "summary": jsonable(self.summary),
            "rows": jsonable(self.rows),
            "warnings": list(self.warnings),
        }
        if self.tables:
            out["tables"] = jsonable(self.tables)
        for name in self.top_level:
            out.setdefault(name, jsonable(self.tables.get(name, [])))
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text: analysis, parameters, summary, rows, warnings (and tables)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
