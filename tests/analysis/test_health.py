"""Account health (analyses.md §4): signal scores at, between and beyond the
thresholds in both directions, weights, missing signals and the register override."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.health import account_health
from kam.analysis.registry import run
from kam.errors import MissingDataError, ParameterError
from tests.analysis.golden import arrow_table

DAY = date(2024, 6, 30)


def _t(kind: str, rows: Sequence[Sequence[object]]) -> ibis.Table:
    return ibis.memtable(arrow_table(kind, rows))


def _health(
    signals: Sequence[Sequence[object]],
    model: Sequence[Sequence[object]],
    risks: Sequence[Sequence[object]] | None = None,
    **options: object,
) -> dict[str, dict[str, object]]:
    result = account_health(
        _t("signals", signals),
        _t("health_model", model),
        risks=None if risks is None else _t("risks", risks),
        as_of=DAY,
        **options,  # type: ignore[arg-type]
    )
    return {str(r["account_id"]): r for r in result.rows}


@pytest.mark.parametrize(
    ("good", "poor", "value", "score"),
    [
        # Higher is better: good 20, poor 4.
        (20.0, 4.0, 20.0, 100.0),  # at good
        (20.0, 4.0, 31.0, 100.0),  # beyond good
        (20.0, 4.0, 12.0, 50.0),  # half-way: (12 − 4) / 16
        (20.0, 4.0, 5.0, 6.25),  # (5 − 4) / 16
        (20.0, 4.0, 4.0, 0.0),  # at poor
        (20.0, 4.0, 0.0, 0.0),  # beyond poor
        # Lower is better: good 2, poor 12.
        (2.0, 12.0, 2.0, 100.0),  # at good
        (2.0, 12.0, 0.0, 100.0),  # beyond good
        (2.0, 12.0, 4.5, 75.0),  # (12 − 4.5) / 10
        (2.0, 12.0, 11.0, 10.0),  # (12 − 11) / 10
        (2.0, 12.0, 12.0, 0.0),  # at poor
        (2.0, 12.0, 40.0, 0.0),  # beyond poor
    ],
)
def test_signal_score_is_linear_between_poor_and_good_and_clipped_beyond(
    good: float, poor: float, value: float, score: float
) -> None:
    rows = _health([("X", DAY, "S", value)], [("S", 1.0, good, poor)])
    assert rows["X"]["health"] == pytest.approx(score, abs=1e-9)


def test_health_is_the_weighted_mean_of_the_signal_scores() -> None:
    # A 30 → 100 (weight 0.5), B 8 → (8 − 4) / 16 = 25 (0.3), C 7 → (12 − 7) / 10
    # = 50 (0.2): 0.5·100 + 0.3·25 + 0.2·50 = 67.5.
    model = [("A", 0.5, 20.0, 4.0), ("B", 0.3, 20.0, 4.0), ("C", 0.2, 2.0, 12.0)]
    signals = [("X", DAY, "A", 30.0), ("X", DAY, "B", 8.0), ("X", DAY, "C", 7.0)]
    row = _health(signals, model)["X"]
    assert row["health"] == pytest.approx(67.5)
    assert row["score_band"] == "watch"
    assert row["weakest_signal"] == "B"
    assert row["weakest_score"] == pytest.approx(25.0)


def test_missing_signal_is_left_out_of_the_mean_and_counted() -> None:
    # Only B (25, weight 0.3) and C (50, weight 0.2): (7.5 + 10) / 0.5 = 35.
    model = [("A", 0.5, 20.0, 4.0), ("B", 0.3, 20.0, 4.0), ("C", 0.2, 2.0, 12.0)]
    signals = [("X", DAY, "B", 8.0), ("X", DAY, "C", 7.0), ("X", DAY, "Z", 1.0)]
    result = account_health(
        _t("signals", signals), _t("health_model", model), as_of=DAY
    )
    row = result.rows[0]
    assert row["health"] == pytest.approx(35.0)
    assert row["signals"] == 2
    assert row["missing_signals"] == 1
    assert row["band"] == "at_risk"
    assert any("lack some" in w for w in result.warnings)


def test_latest_value_on_or_before_as_of_is_scored() -> None:
    model = [("A", 1.0, 20.0, 4.0)]
    signals = [
        ("X", date(2024, 4, 30), "A", 20.0),
        ("X", date(2024, 5, 31), "A", 8.0),  # the latest by as_of: 25
        ("X", date(2024, 7, 31), "A", 4.0),  # after as_of: ignored
    ]
    assert _health(signals, model)["X"]["health"] == pytest.approx(25.0)


def test_open_risk_overrides_a_green_score_and_sets_endangered() -> None:
    model = [("A", 1.0, 20.0, 4.0)]
    signals = [
        ("G1", DAY, "A", 20.0),  # 100, open critical → at risk
        ("G2", DAY, "A", 20.0),  # 100, open watch → watch
        ("G3", DAY, "A", 20.0),  # 100, risk resolved before as_of → healthy
        ("G4", DAY, "A", 20.0),  # 100, resolved after as_of → still open
        ("G5", DAY, "A", 20.0),  # 100, flagged after as_of → healthy
        ("R1", DAY, "A", 5.0),  # 6.25, a watch risk does not make it better
    ]
    risks = [
        ("G1", date(2024, 6, 1), "critical", "champion left", "M", None),
        ("G2", date(2024, 6, 1), "watch", "sponsor on leave", "M", None),
        ("G3", date(2024, 1, 1), "at_risk", "old", "M", date(2024, 3, 1)),
        ("G4", date(2024, 1, 1), "at_risk", "open then", "M", date(2024, 7, 15)),
        ("G5", date(2024, 7, 1), "critical", "later", "M", None),
        ("R1", date(2024, 6, 1), "watch", "usage", "M", None),
        ("N1", date(2024, 6, 1), "at_risk", "no signals at all", "M", None),
    ]
    rows = _health(signals, model, risks)
    bands = {a: (r["score_band"], r["band"], r["endangered"]) for a, r in rows.items()}
    assert bands == {
        "G1": ("healthy", "at_risk", True),
        "G2": ("healthy", "watch", False),
        "G3": ("healthy", "healthy", False),
        "G4": ("healthy", "at_risk", True),
        "G5": ("healthy", "healthy", False),
        "R1": ("at_risk", "at_risk", True),
        "N1": (None, "at_risk", True),
    }
    assert rows["N1"]["health"] is None
    assert rows["G1"]["risk_level"] == "critical"


def test_bands_follow_their_parameters() -> None:
    model = [("A", 1.0, 20.0, 4.0)]
    signals = [("X", DAY, "A", 16.0)]  # 75
    assert _health(signals, model)["X"]["band"] == "healthy"
    assert _health(signals, model, healthy_from=80.0)["X"]["band"] == "watch"
    both = _health(signals, model, healthy_from=90.0, watch_from=80.0)
    assert both["X"]["band"] == "at_risk"
    with pytest.raises(ParameterError, match="watch_from"):
        _health(signals, model, healthy_from=40.0, watch_from=70.0)


def test_breakdown_contributions_add_up_to_the_health() -> None:
    model = [("A", 0.5, 20.0, 4.0), ("B", 0.3, 20.0, 4.0), ("C", 0.2, 2.0, 12.0)]
    signals = [("X", DAY, "A", 30.0), ("X", DAY, "B", 8.0), ("X", DAY, "C", 7.0)]
    result = account_health(
        _t("signals", signals), _t("health_model", model), as_of=DAY
    )
    parts = {str(r["signal"]): r for r in result.tables["signals"]}
    assert {s: p["contribution"] for s, p in parts.items()} == pytest.approx(
        {"A": 50.0, "B": 7.5, "C": 10.0}
    )
    assert parts["C"]["value"] == 7.0
    assert parts["C"]["measured_on"] == DAY


def test_health_names_the_missing_sheet() -> None:
    with pytest.raises(MissingDataError, match="HealthModel"):
        run("health", {"signals": _t("signals", [("X", DAY, "A", 1.0)])})


_SIGNAL = st.tuples(
    st.sampled_from(["K1", "K2", "K3"]),
    st.sampled_from(["A", "B", "C"]),
    st.floats(min_value=-100, max_value=100, allow_nan=False),
)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(_SIGNAL, min_size=1, max_size=9, unique_by=lambda s: (s[0], s[1])),
    st.lists(
        st.tuples(
            st.floats(min_value=0.01, max_value=5),
            st.floats(min_value=-50, max_value=50),
            st.floats(min_value=1, max_value=50),
            st.booleans(),
        ),
        min_size=3,
        max_size=3,
    ),
    st.randoms(use_true_random=False),
)
def test_health_stays_within_0_and_100_and_ignores_row_order(
    signals: list[tuple[str, str, float]],
    params: list[tuple[float, float, float, bool]],
    rnd: object,
) -> None:
    model = [
        (name, w, poor + span if up else poor - span, poor)
        for name, (w, poor, span, up) in zip("ABC", params, strict=True)
    ]
    rows = [(a, DAY, s, v) for a, s, v in signals]
    first = _health(rows, model)
    for r in first.values():
        assert 0.0 <= float(str(r["health"])) <= 100.0
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = _health(shuffled, list(reversed(model)))
    assert again.keys() == first.keys()
    for account, row in first.items():
        # The weighted sum may add its terms in another order: equal within 1e-9.
        other = dict(again[account])
        assert other.pop("health") == pytest.approx(row["health"], abs=1e-9)
        assert other == {k: v for k, v in row.items() if k != "health"}


def test_latest_signals_pre_aggregate_answers_only_on_or_after_its_last_date() -> None:
    from kam.engine.core import derive

    # A (good 20, poor 4): X 20 on 30 Apr, 8 on 31 May, 4 on 31 Jul; Y 12 on 31 May.
    signals = _t(
        "signals",
        [
            ("X", date(2024, 4, 30), "A", 20.0),
            ("X", date(2024, 7, 31), "A", 4.0),
            ("Y", date(2024, 5, 31), "A", 12.0),
            ("X", date(2024, 5, 31), "A", 8.0),
        ],
    )
    model = _t("health_model", [("A", 1.0, 20.0, 4.0)])
    latest = derive({"Signals": signals})["_latest_signals"]
    got = latest.order_by("account_id").to_pyarrow().to_pylist()
    assert [(r["account_id"], r["as_of"], r["value"]) for r in got] == [
        ("X", date(2024, 7, 31), 4.0),
        ("Y", date(2024, 5, 31), 12.0),
    ]
    tables = {"signals": signals, "health_model": model, "_latest_signals": latest}

    def healths(day: date) -> dict[str, object]:
        result = run("health", tables, {"as_of": day})
        return {str(r["account_id"]): r["health"] for r in result.rows}

    # After the last date: X's 4 is at poor (0), Y's 12 is half-way (50).
    assert healths(date(2024, 8, 31)) == {"X": 0.0, "Y": 50.0}
    # Before it, X's value of 31 May counts: (8 − 4) / 16 = 25.
    assert healths(DAY) == {"X": pytest.approx(25.0), "Y": pytest.approx(50.0)}


def _prepared_tables(model: Sequence[Sequence[object]]) -> dict[str, ibis.Table]:
    """The tables the engine hands health: the sheets (HealthModel ``A`` good 20,
    poor 4, weight 1; ``B`` good 0, poor 10, weight 3), ``_latest_signals`` and the
    tables of :func:`health_tables` built from the same sheets but ``model``."""
    from kam.analysis.health import health_tables
    from kam.engine.core import derive

    signals = _t(
        "signals",
        [
            ("X", date(2024, 5, 31), "A", 4.0),
            ("X", date(2024, 7, 31), "A", 16.0),
            ("X", date(2024, 7, 31), "B", 5.0),
            ("Y", date(2024, 7, 31), "B", 10.0),
        ],
    )
    sheets = {
        "Signals": signals,
        "HealthModel": _t("health_model", model),
        "Accounts": ibis.memtable(
            arrow_table(
                "accounts",
                [("X", "Xeno", "active"), ("Y", "Yarrow", "active"), ("N", "Nox", "")],
            )
        ),
        "Risks": _t(
            "risks", [("N", date(2024, 6, 1), "watch", "no signals", "M", None)]
        ),
    }
    latest = derive(sheets)["_latest_signals"]
    built = health_tables(sheets, {"_latest_signals": latest})
    return {
        "signals": signals,
        "health_model": _t(
            "health_model", [("A", 1.0, 20.0, 4.0), ("B", 3.0, 0.0, 10.0)]
        ),
        "accounts": sheets["Accounts"],
        "risks": sheets["Risks"],
        "_latest_signals": latest,
        **built,
    }


def test_prepared_health_tables_give_the_rows_names_and_breakdown() -> None:
    tables = _prepared_tables([("A", 1.0, 20.0, 4.0), ("B", 3.0, 0.0, 10.0)])
    assert set(tables) >= {"_health_signals", "_health_accounts"}
    result = run("health", tables, {"as_of": date(2024, 8, 31)})
    # X: A 16 → (16 − 4) / 16 = 75, B 5 → (5 − 10) / (0 − 10) = 50: (75 + 3·50) / 4
    # = 56.25 (watch). Y: B 10 → 0 (at risk), A missing. N: no signals, a watch risk.
    got = [
        (r["account_id"], r["name"], r["health"], r["band"], r["missing_signals"])
        for r in result.rows
    ]
    assert got == [
        ("Y", "Yarrow", 0.0, "at_risk", 1),
        ("X", "Xeno", 56.25, "watch", 0),
        ("N", "Nox", None, "watch", 2),
    ]
    parts = [
        (r["account_id"], r["signal"], r["score"], r["contribution"])
        for r in result.tables["signals"]
    ]
    assert parts == [
        ("X", "A", 75.0, 18.75),
        ("X", "B", 50.0, 37.5),
        ("Y", "B", 0.0, 0.0),
    ]
    assert result.rows[1]["weakest_signal"] == "B"


def test_health_reads_the_prepared_tables_only_when_latest_signals_answer() -> None:
    # Built with another model (B weighs 1): X is (75 + 50) / 2 = 62.5 from them.
    tables = _prepared_tables([("A", 1.0, 20.0, 4.0), ("B", 1.0, 0.0, 10.0)])

    def health_of_x(day: date) -> object:
        rows = run("health", tables, {"as_of": day}).rows
        return next(r["health"] for r in rows if r["account_id"] == "X")

    assert health_of_x(date(2024, 8, 31)) == 62.5
    # Before the last signal date the Signals rows are scored with the sheet's
    # model: X's A of 31 May is 4 → 0, so only A counts (B not yet measured).
    assert health_of_x(date(2024, 6, 30)) == 0.0
