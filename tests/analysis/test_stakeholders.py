"""The stakeholder decision map: checks, grids, targets, gaps, engagement, paths.

Every expected probability is the product of the rule's p by hand (3 → 0.9,
2 → 0.6, 1 → 0.3, halved next to a stakeholder with attitude < 0).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from kam.analysis.registry import run
from kam.analysis.result import AnalysisResult
from kam.analysis.stakeholders import quadrant, stakeholder_map
from kam.errors import NotFoundError, ParameterError, WorkbookError

CON = ibis.duckdb.connect()
# Unique table names: one DuckDB connection serves every test.
_NUMBERS = itertools.count()

_STAKEHOLDER_COLUMNS = (
    ("stakeholder_id", pa.string()),
    ("account_id", pa.string()),
    ("name", pa.string()),
    ("title", pa.string()),
    ("organisation", pa.string()),
    ("reports_to", pa.string()),
    ("decision_power", pa.int64()),
    ("interest", pa.int64()),
    ("attitude", pa.int64()),
    ("buying_role", pa.string()),
)
_SCHEMAS = {
    "stakeholders": pa.schema(_STAKEHOLDER_COLUMNS),
    "influences": pa.schema(
        [
            ("from_id", pa.string()),
            ("to_id", pa.string()),
            ("strength", pa.int64()),
            ("sentiment", pa.string()),
        ]
    ),
    "touchpoints": pa.schema(
        [
            ("member_id", pa.string()),
            ("stakeholder_id", pa.string()),
            ("strength", pa.int64()),
            ("last_contact_on", pa.date32()),
            ("key", pa.bool_()),
        ]
    ),
    "team": pa.schema([("member_id", pa.string()), ("name", pa.string())]),
    "accounts": pa.schema([("account_id", pa.string()), ("name", pa.string())]),
}


def person(
    sid: str,
    manager: str | None,
    power: int,
    attitude: int,
    *,
    interest: int | None = 3,
    role: str | None = None,
    org: str | None = None,
    account: str = "A1",
) -> tuple[object, ...]:
    return (sid, account, f"Name {sid}", f"Title {sid}", org, manager, power,
            interest, attitude, role)  # fmt: skip


def tables(
    people: Sequence[Sequence[object]],
    lines: Sequence[Sequence[object]] = (),
    touches: Sequence[Sequence[object]] = (),
) -> dict[str, ibis.Table]:
    """DuckDB tables; touches are (member, stakeholder, strength[, last, key])."""
    full = [(*t, *(None, False)[len(t) - 3 :]) for t in touches]
    data: dict[str, Sequence[Sequence[object]]] = {
        "stakeholders": people,
        "influences": list(lines),
        "touchpoints": full,
        "team": [("KAM", "Kim Kam"), ("SA", "Sam Arch")],
        "accounts": [("A1", "Acme Health"), ("A2", "Other")],
    }
    out = {}
    for name, rows in data.items():
        schema = _SCHEMAS[name]
        cols: list[Sequence[object]] = (
            list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
        )
        arrow = pa.table(
            {
                f.name: pa.array(list(c), type=f.type)
                for f, c in zip(schema, cols, strict=True)
            }
        )
        out[name] = CON.create_table(f"{name}_{next(_NUMBERS)}", arrow)
    return out


# The acceptance scenario of analyses.md §6, by hand: the EVP holds the decision, two
# IT directors report to them, an external consultancy lead has a positive dotted
# line to the EVP. Our KAM knows the lead (3) and the warm IT director (2).
SCENARIO = [
    person("EVP", None, 5, 0, interest=4, role="decision_maker"),
    person("ITD1", "EVP", 3, 1, interest=5),
    person("ITD2", "EVP", 3, -1, interest=4),
    person("CFO", "EVP", 4, 0, interest=2, role="economic_buyer"),
    person("LEAD", None, 3, 2, org="Consultancy"),
]
LINES = [("LEAD", "EVP", 3, "positive")]
TOUCHES = [("KAM", "LEAD", 3), ("KAM", "ITD1", 2)]


def paths_to(result: AnalysisResult, target: str) -> list[tuple[object, object]]:
    return [
        (p["path"], p["probability"])
        for p in result.tables["paths"]
        if p["target"] == target
    ]


def test_the_evp_is_the_top_target_reached_best_through_the_consultancy_lead() -> None:
    result = stakeholder_map(tables(SCENARIO, LINES, TOUCHES), account="A1")
    assert result.summary["targets"] == ["EVP", "CFO"]
    assert paths_to(result, "EVP") == [
        (["KAM", "LEAD", "EVP"], pytest.approx(0.81)),
        (["KAM", "ITD1", "EVP"], pytest.approx(0.36)),
    ]
    first = result.tables["paths"][0]
    assert first["weakest_link"] == ["KAM", "LEAD"]  # 0.9 and 0.9: the first
    assert first["names"] == ["Kim Kam", "Name LEAD", "Name EVP"]
    assert result.rows[0]["stakeholder_id"] == "EVP"
    assert result.rows[0]["best_path"] == "Kim Kam → Name LEAD → Name EVP"


def test_paths_to_the_cfo_go_through_the_evp_and_name_the_reports_to_link() -> None:
    result = stakeholder_map(tables(SCENARIO, LINES, TOUCHES), account="A1")
    # 0.9 × 0.9 × 0.6 and 0.6 × 0.6 × 0.6; the EVP → CFO step is the weakest of
    # the first path.
    assert paths_to(result, "CFO") == [
        (["KAM", "LEAD", "EVP", "CFO"], pytest.approx(0.486)),
        (["KAM", "ITD1", "EVP", "CFO"], pytest.approx(0.216)),
    ]
    cfo = [p for p in result.tables["paths"] if p["target"] == "CFO"]
    assert cfo[0]["weakest_link"] == ["EVP", "CFO"]
    assert cfo[0]["kinds"] == ["touchpoint", "influence", "manages"]


def test_json_has_a_top_level_paths_list_with_ids_and_weakest_links() -> None:
    result = stakeholder_map(tables(SCENARIO, LINES, TOUCHES), account="A1")
    data = json.loads(result.to_json())
    assert data["paths"][0]["path"] == ["KAM", "LEAD", "EVP"]
    assert data["paths"][0]["probability"] == 0.81
    assert data["paths"][1]["weakest_link"] == ["KAM", "ITD1"]


def test_a_negative_dotted_line_is_removed_from_the_graph() -> None:
    lines = [("LEAD", "EVP", 3, "negative")]
    result = stakeholder_map(tables(SCENARIO, lines, TOUCHES), account="A1")
    assert paths_to(result, "EVP") == [(["KAM", "ITD1", "EVP"], pytest.approx(0.36))]


def test_a_hostile_stakeholder_halves_each_edge_through_them_once() -> None:
    people = [
        person("EVP", None, 5, 0, role="decision_maker"),
        person("H1", None, 2, -2),
        person("H2", None, 2, -1),
    ]
    # KAM → H1 (3): 0.45; H1 → H2 (3) joins two negatives: halved once, 0.45;
    # H2 → EVP (3): 0.45. The direct H1 → EVP (3) line: 0.45.
    lines = [("H1", "H2", 3, "positive"), ("H2", "EVP", 3, "positive"),
             ("H1", "EVP", 3, "neutral")]  # fmt: skip
    result = stakeholder_map(tables(people, lines, [("KAM", "H1", 3)]), account="A1")
    assert paths_to(result, "EVP") == [
        (["KAM", "H1", "EVP"], pytest.approx(0.45 * 0.45)),
        (["KAM", "H1", "H2", "EVP"], pytest.approx(0.45**3)),
    ]


def test_of_two_edges_joining_the_same_pair_the_stronger_counts() -> None:
    # ITD1 reports to the EVP (0.6) and also has a strength-3 dotted line (0.9).
    lines = [("ITD1", "EVP", 3, "positive")]
    result = stakeholder_map(
        tables(SCENARIO, lines, [("KAM", "ITD1", 2)]), account="A1"
    )
    assert paths_to(result, "EVP")[0] == (["KAM", "ITD1", "EVP"], pytest.approx(0.54))


def test_paths_longer_than_max_edges_are_not_offered() -> None:
    # KAM → P1 → P2 → P3 → P4 → EVP: five steps along dotted lines of strength 3.
    chain = ["P1", "P2", "P3", "P4", "EVP"]
    people = [person("EVP", None, 5, 0)] + [person(p, None, 2, 1) for p in chain[:-1]]
    lines = [(a, b, 3, "positive") for a, b in itertools.pairwise(chain)]
    data = tables(people, lines, [("KAM", "P1", 3)])
    assert paths_to(stakeholder_map(data, account="A1"), "EVP") == []
    five = stakeholder_map(data, account="A1", max_edges=5)
    assert paths_to(five, "EVP") == [(["KAM", *chain], pytest.approx(0.9**5))]


def test_only_the_top_three_paths_are_kept_in_order_of_probability() -> None:
    people = [person("EVP", None, 5, 0)] + [
        person(f"S{i}", "EVP", 2, 1) for i in range(1, 5)
    ]
    touches = [("KAM", "S1", 1), ("KAM", "S2", 3), ("SA", "S3", 2), ("SA", "S4", 3)]
    result = stakeholder_map(tables(people, [], touches), account="A1")
    # 0.9 × 0.6 twice (ties by ids: KAM before SA), then 0.6 × 0.6.
    assert paths_to(result, "EVP") == [
        (["KAM", "S2", "EVP"], pytest.approx(0.54)),
        (["SA", "S4", "EVP"], pytest.approx(0.54)),
        (["SA", "S3", "EVP"], pytest.approx(0.36)),
    ]


def test_targets_rank_by_power_then_the_hardest_to_reach_first() -> None:
    people = [
        person("T5", None, 5, -1),
        person("T4A", None, 4, 0),
        person("T4B", None, 4, 0),
        person("T4C", None, 4, 0),
        person("F", None, 5, 1),
    ]
    touches = [("KAM", "T4A", 3), ("KAM", "T4B", 1)]
    result = stakeholder_map(tables(people, [], touches), account="A1")
    # T4C has no path (0), T4B 0.3, T4A 0.9; F is positive, not a target.
    assert result.summary["targets"] == ["T5", "T4C", "T4B", "T4A"]
    assert result.summary["blockers"] == ["T5"]
    assert [r["target_rank"] for r in result.rows[:4]] == [1, 2, 3, 4]


def test_reports_to_cycles_and_unknown_managers_are_reported_together() -> None:
    people = [
        person("A", "B", 3, 0),
        person("B", "C", 3, 0),
        person("C", "A", 3, 0),
        person("D", "ZZ", 3, 0),
        person("E", "E", 3, 0),
    ]
    with pytest.raises(WorkbookError, match="account A1") as caught:
        stakeholder_map(tables(people), account="A1")
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 3
    assert "stakeholder D: reports_to 'ZZ' is not a stakeholder" in messages[0]
    assert "cycle A → B → C → A" in messages[1]
    assert "cycle E → E" in messages[2]
    assert all(p.sheet == "Stakeholders" for p in caught.value.problems)
    assert all(p.column == "reports_to" for p in caught.value.problems)


def test_dangling_ids_in_lines_and_touchpoints_name_their_rows() -> None:
    lines = [("LEAD", "GHOST", 2, "positive")]
    touches = [("NOBODY", "EVP", 2)]
    with pytest.raises(WorkbookError) as caught:
        stakeholder_map(tables(SCENARIO, lines, touches), account="A1")
    found = {(p.sheet, p.column, p.value) for p in caught.value.problems}
    assert found == {
        ("Influences", "to_id", "GHOST"),
        ("Touchpoints", "member_id", "NOBODY"),
    }
    assert "dotted line LEAD → GHOST" in str(caught.value.problems[0])


def test_a_line_to_another_accounts_stakeholder_is_left_out_with_a_warning() -> None:
    people = [*SCENARIO, person("X", None, 5, 0, account="A2")]
    lines = [*LINES, ("X", "EVP", 3, "positive")]
    result = stakeholder_map(tables(people, lines, TOUCHES), account="A1")
    assert "X → EVP" in result.warnings[0]
    assert len(result.rows) == 5


def test_an_account_must_be_named_when_several_have_stakeholders() -> None:
    people = [*SCENARIO, person("X", None, 5, 0, account="A2")]
    with pytest.raises(ParameterError, match="with stakeholders: A1, A2"):
        stakeholder_map(tables(people))
    with pytest.raises(NotFoundError, match="NOPE"):
        stakeholder_map(tables(people), account="NOPE")


@pytest.mark.parametrize(
    ("power", "interest", "expected"),
    [
        (3, 3, "manage closely"),
        (5, 2, "keep satisfied"),
        (2, 5, "keep informed"),
        (2, 2, "monitor"),
        (4, None, "keep satisfied"),
    ],
)
def test_quadrant_is_high_from_three(
    power: int, interest: int | None, expected: str
) -> None:
    assert quadrant(power, interest, 3) == expected


def test_grids_count_each_stakeholder_once() -> None:
    result = stakeholder_map(tables(SCENARIO, LINES, TOUCHES), account="A1")
    grid = {r["quadrant"]: r["stakeholders"] for r in result.tables["power_interest"]}
    assert grid == {
        "manage closely": ["EVP", "ITD1", "ITD2", "LEAD"],
        "keep satisfied": ["CFO"],
        "keep informed": [],
        "monitor": [],
    }
    cells = {
        (r["decision_power"], r["attitude"]): r["count"]
        for r in result.tables["power_attitude"]
        if r["count"]
    }
    assert cells == {(5, 0): 1, (4, 0): 1, (3, 1): 1, (3, -1): 1, (3, 2): 1}
    assert len(result.tables["power_attitude"]) == 25
    assert result.summary["champions"] == ["LEAD"]


def test_coverage_gaps_name_uncovered_power_and_single_threading() -> None:
    people = [person("CIO", None, 5, 1), person("OPS", "CIO", 3, 2)]
    result = stakeholder_map(tables(people, [], [("KAM", "OPS", 3)]), account="A1")
    gaps = [(g["gap"], g["stakeholder_id"]) for g in result.tables["gaps"]]
    assert gaps == [
        ("no_touchpoint", "CIO"),
        ("single_threaded", None),
        ("no_decision_maker", None),
        ("no_economic_buyer", None),
    ]
    assert result.summary["single_threaded"] is True
    covered = stakeholder_map(tables(SCENARIO, LINES, TOUCHES), account="A1")
    assert covered.summary["single_threaded"] is False
    assert covered.summary["no_decision_maker"] is False
    assert covered.summary["uncovered_high_power"] == ["CFO", "EVP"]


def test_engagement_counts_days_and_turns_stale_after_ninety() -> None:
    as_of = date(2026, 4, 1)
    touches = [
        ("KAM", "LEAD", 3, date(2026, 1, 1), True),  # 90 days: not stale
        ("SA", "LEAD", 1, date(2025, 12, 1), False),
        ("KAM", "ITD1", 2, date(2025, 12, 31), False),  # 91 days: stale
        ("SA", "CFO", 1, None, False),  # never recorded: stale
    ]
    result = stakeholder_map(
        tables(SCENARIO, LINES, touches), account="A1", as_of=as_of
    )
    rows = {r["stakeholder_id"]: r for r in result.rows}
    lead = rows["LEAD"]
    assert (lead["team"], lead["touchpoint_strength"], lead["coverage"]) == (
        "Kim Kam (3), Sam Arch (1)",
        3,
        "covered",
    )
    assert (lead["days_since_contact"], lead["stale"]) == (90, False)
    assert (rows["ITD1"]["days_since_contact"], rows["ITD1"]["stale"]) == (91, True)
    assert (rows["CFO"]["coverage"], rows["CFO"]["stale"]) == ("weak", True)
    assert (rows["EVP"]["coverage"], rows["EVP"]["stale"]) == ("none", False)
    assert result.summary["stale"] == ["CFO", "ITD1"]


def test_the_registry_runs_it_with_text_parameters() -> None:
    result = run(
        "stakeholders",
        tables(SCENARIO, LINES, TOUCHES),
        {"account": " A1 ", "paths": "1", "as_of": "2026-01-31"},
    )
    assert result.parameters["account"] == "A1"
    assert [p["target"] for p in result.tables["paths"]] == ["EVP", "CFO"]


# ------------------------------------------------------------------ the demo store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    from kam.demo import demo_portfolio
    from kam.store.repository import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    store = Store(url)
    store.upgrade()
    store.import_portfolio(demo_portfolio(accounts=60))
    store.dispose()
    return url


def test_the_demo_flagship_through_the_engine_puts_the_evp_first(
    demo_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam.config import Settings
    from kam.demo.accounts import FLAGSHIP_ID
    from kam.demo.stakeholders import CONSULTANCY_LEAD, EVP_CIO, IT_DIRECTOR_WARM
    from kam.demo.team import FLAGSHIP_KAM
    from kam.engine import open_engine

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine = open_engine("store", settings=Settings(database_url=demo_store))
    try:
        result = engine.run("stakeholders", {"account": FLAGSHIP_ID})
    finally:
        engine.close()
    assert result.summary["targets"] == [EVP_CIO, "OV08", "OV01", "OV03"]
    assert paths_to(result, EVP_CIO)[:2] == [
        ([FLAGSHIP_KAM, CONSULTANCY_LEAD, EVP_CIO], pytest.approx(0.81)),
        ([FLAGSHIP_KAM, IT_DIRECTOR_WARM, EVP_CIO], pytest.approx(0.36)),
    ]


def test_cli_json_has_rows_per_stakeholder_and_a_paths_list(
    demo_store: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kam.cli import main
    from kam.demo.accounts import FLAGSHIP_ID
    from kam.demo.stakeholders import CONSULTANCY_LEAD, EVP_CIO, STAKEHOLDERS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    argv = ["analyse", "stakeholders", "--set", f"account={FLAGSHIP_ID}"]
    code = main([*argv, "--format", "json", "--database", demo_store])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == len(STAKEHOLDERS)
    evp = data["rows"][0]
    assert (evp["stakeholder_id"], evp["quadrant"], evp["is_target"]) == (
        EVP_CIO,
        "manage closely",
        True,
    )
    assert evp["coverage"] == "none"
    assert data["paths"][0]["target"] == EVP_CIO
    assert data["paths"][0]["path"][1:] == [CONSULTANCY_LEAD, EVP_CIO]
    assert data["paths"][0]["probability"] == 0.81

    assert main([*argv, "--database", demo_store]) == 0
    text = capsys.readouterr().out
    assert "1. OV02 Odessa Lintermann" in text
    assert "81.0 %" in text
