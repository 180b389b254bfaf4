"""The deck and results-workbook cases: what "Download deck" and "kam report" cost.

============  ==============================================================  ========
case          what is measured                                                size
============  ==============================================================  ========
deck_demo     the demo portfolio (``size`` accounts, 60–1000): run Pareto     accounts
              and ABC, then build and save the portfolio deck
deck          the same on the generated portfolio of ``size`` accounts        accounts
results_xlsx  run Pareto and ABC on the generated portfolio, then write the   accounts
              results workbook (a sheet per analysis and table, charts)
============  ==============================================================  ========

Loading the portfolio into the engine is setup (the web holds it loaded); the timed
phases are ``analyse`` (the two analyses) and ``deck`` or ``write``. There is no
pandas baseline: the work is building files, not a computation pandas would do.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.generate import default_dir, generate
from bench.harness import Case, Clock, Impl, Params, register
from bench.import_cases import _load

__all__ = ["kam_deck", "kam_deck_demo", "kam_results"]

ANALYSES = ("pareto", "abc")


def _engine(portfolio: Any) -> Any:
    from kam.config import Settings
    from kam.engine import Engine
    from kam.engine.sources import PortfolioSource

    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    engine.tables()  # load and derive now: setup, not timed
    return engine


def _deck(engine: Any, clock: Clock) -> dict[str, Any]:
    from kam.deck import deck_bytes, portfolio_deck

    try:
        with clock("analyse"):
            results = [engine.run(name) for name in ANALYSES]
        with clock("deck"):
            data = deck_bytes(portfolio_deck(engine, analyses=ANALYSES))
    finally:
        engine.close()
    return {"rows": {r.analysis: len(r.rows) for r in results}, "bytes": len(data)}


def kam_deck_demo(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The portfolio deck of ``demo_portfolio(accounts=size)``."""
    from kam.demo import demo_portfolio

    return _deck(_engine(demo_portfolio(accounts=int(params["size"]))), clock)


def kam_deck(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The portfolio deck of the generated portfolio."""
    return _deck(_engine(_load(Path(params["path"]))), clock)


def kam_results(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The results workbook of the generated portfolio."""
    from kam.workbook.results import write_results

    engine = _engine(_load(Path(params["path"])))
    try:
        with clock("analyse"):
            results = [engine.run(name) for name in ANALYSES]
        with tempfile.TemporaryDirectory(dir=params["work"]) as tmp:
            path = Path(tmp) / "results.xlsx"
            cpu = time.process_time()
            with clock("write"):
                write_results(results, path)
            cpu = time.process_time() - cpu
            size = path.stat().st_size
    finally:
        engine.close()
    # The write's CPU seconds (in the JSON results): less sensitive than the wall
    # time to other work on the machine.
    return {
        "rows": {r.analysis: len(r.rows) for r in results},
        "bytes": size,
        "write_cpu_s": round(cpu, 3),
    }


def _prepare_demo(size: int, seed: int, data_dir: Path) -> Params:
    if not 60 <= size <= 1000:
        raise ValueError(f"deck_demo: the demo has 60–1000 accounts, not {size}")
    return {"size": str(size)}


def _prepare_portfolio(size: int, seed: int, data_dir: Path) -> Params:
    folder = generate(size, seed=seed, out=default_dir(size, seed, data_dir=data_dir))
    return {"path": str(folder)}


_KAM = "bench.deck_cases"

register(
    Case(
        name="deck_demo",
        description="run Pareto and ABC on the demo portfolio of <size> accounts, then "
        "build and save the portfolio deck",
        unit="accounts",
        prepare=_prepare_demo,
        kam=Impl(f"{_KAM}:kam_deck_demo"),
        baseline=None,
        phases=("analyse", "deck"),
    )
)
register(
    Case(
        name="deck",
        description="run Pareto and ABC on the generated portfolio, then build and "
        "save the portfolio deck",
        unit="accounts",
        prepare=_prepare_portfolio,
        kam=Impl(f"{_KAM}:kam_deck"),
        baseline=None,
        phases=("analyse", "deck"),
    )
)
register(
    Case(
        name="results_xlsx",
        description="run Pareto and ABC on the generated portfolio, then write the "
        "results workbook",
        unit="accounts",
        prepare=_prepare_portfolio,
        kam=Impl(f"{_KAM}:kam_results"),
        baseline=None,
        phases=("analyse", "write"),
    )
)
