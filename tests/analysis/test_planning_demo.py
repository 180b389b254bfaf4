"""The planning analyses on the demo portfolio, through the engine over a SQLite store:
the flagship's timeline, RACI, division map and plan, and the programme's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.engine import Engine, open_engine
from kam.errors import MissingDataError, NotFoundError
from kam.store.repository import Store

FLAGSHIP = "A001"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'kam.db'}"
    store = Store(url)
    store.upgrade()
    store.import_portfolio(demo_portfolio(accounts=60))
    store.dispose()
    eng = open_engine("store", settings=Settings(database_url=url))
    yield eng
    eng.close()


def test_flagship_timeline_has_a_critical_path_and_the_slipped_tasks(
    engine: Engine,
) -> None:
    result = engine.run("timeline", {"account": FLAGSHIP})
    assert len(result.rows) == 16
    path = result.summary["critical_path"]
    assert isinstance(path, list)
    assert path[0] == "MIG01"
    assert path[-1] == "MIG16"
    assert result.summary["negative_float_tasks"] == []
    # Every task that has not slipped finishes on its baseline in the plan.
    rows = {r["task_id"]: r for r in result.rows}
    assert rows["MIG03"]["early_finish"] == rows["MIG03"]["baseline_finish"]
    # MIG09 runs 15 points behind its plan and pushes the go-live past its baseline.
    assert float(str(rows["MIG09"]["progress_gap"])) < -10
    assert int(str(rows["MIG14"]["slip_days"])) > 0
    programme = engine.run("timeline", {})
    assert programme.rows[0]["task_id"] == "PRG01"


def test_flagship_raci_is_valid_and_counts_every_role(engine: Engine) -> None:
    result = engine.run("responsibilities", {"account": FLAGSHIP})
    assert result.summary["valid"] is True
    assert result.summary["activities"] == 8
    kam = next(r for r in result.rows if r["role"] == "KAM")
    # A/R on account plan, stakeholder mapping and executive review.
    assert kam["a"] == 3
    assert engine.run("responsibilities", {}).summary["activities"] == 4


def test_flagship_division_map_has_whitespace_and_ranked_gaps(engine: Engine) -> None:
    result = engine.run("division_map", {"account": FLAGSHIP})
    assert result.summary["units"] == 9
    penetration = result.summary["penetration"]
    assert isinstance(penetration, float)
    assert 0 < penetration < 1
    gaps = result.tables["gaps"]
    # The demo's open cells: 6 whitespace and 4 competitor cells, each a gap.
    assert len(gaps) == 10
    assert sum(g["status"] == "competitor" for g in gaps) == 4
    scores = [float(str(g["score"])) for g in gaps]
    assert scores == sorted(scores, reverse=True)


def test_charter_and_flagship_plan_report_completeness_and_staleness(
    engine: Engine,
) -> None:
    charter = engine.run("plans", {})
    assert charter.summary["stale_sections"] == ["resources"]
    assert charter.summary["completeness"] == 1.0
    plan = engine.run("plans", {"account": FLAGSHIP})
    sections = {r["section"]: r for r in plan.rows}
    assert sections["history"]["completeness"] == 1.0
    assert sections["whitespace"]["completeness"] == 1.0
    assert plan.summary["flagged_objectives"] == []
    history = plan.tables["history"]
    assert [h["period"] for h in history][-1] == "pooled"


def test_a_user_who_may_not_read_the_flagship_sees_none_of_its_plans(
    engine: Engine,
) -> None:
    others = ["A002", "A003"]
    with pytest.raises(NotFoundError, match="A001 has no units"):
        engine.run("division_map", {"account": FLAGSHIP}, accounts=others)
    with pytest.raises(MissingDataError, match="no tasks for account A001"):
        engine.run("timeline", {"account": FLAGSHIP}, accounts=others)
    # The programme's own rows (no account) stay visible to everyone.
    programme = engine.run("responsibilities", {}, accounts=others)
    assert programme.summary["activities"] == 4
