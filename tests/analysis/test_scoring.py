"""The scoring matrix (analyses.md §3) on tiny tables with hand-computed results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.registry import run as _run
from kam.analysis.score_preagg import (
    SCORES_BY_ACCOUNT,
    SCORES_BY_CRITERION,
    scores_by_account,
    scores_by_criterion,
)
from kam.analysis.scoring import scoring_matrix as _scoring_matrix
from kam.analysis.stability import ranks_in_order
from kam.errors import InputError, MissingDataError, ParameterError

GROWTH = [("g1", 0.15), ("g2", 0.35), ("g3", 0.20), ("g4", 0.30)]


#: How the running test reads the scores: the raw rows, or also through their
#: per-pair or their per-account pre-aggregate.
_PAIRS = {"on": False, "wide": False}


@pytest.fixture(params=["raw", "pairs", "wide"])
def con(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A DuckDB connection; every test runs three times: on the raw Scores rows,
    with the scores' per-pair pre-aggregate (the engine's derived table) beside
    them, and with both it and the per-account one."""
    _PAIRS["on"] = request.param in ("pairs", "wide")
    _PAIRS["wide"] = request.param == "wide"
    c = ibis.duckdb.connect()
    yield c
    _PAIRS["on"] = _PAIRS["wide"] = False
    c.disconnect()


def _pairs(scores: Any) -> Any:
    backend = scores.get_backend()
    name = f"pairs_{len(backend.list_tables())}"
    return backend.create_table(name, scores_by_criterion(scores))


def _wide(scores: Any, criteria: Any) -> dict[str, Any]:
    """The per-account pre-aggregate as the engine builds it, if the sheet's ids
    allow one (an empty Criteria sheet has none)."""
    backend = scores.get_backend()
    wide = scores_by_account(scores, criteria)
    if wide is None:
        return {}
    return {"wide": backend.create_table(f"wide_{len(backend.list_tables())}", wide)}


def scoring_matrix(criteria: Any, scores: Any, **options: Any) -> Any:
    if _PAIRS["on"]:
        options.setdefault("pairs", _pairs(scores))
    if _PAIRS["wide"]:
        options = {**_wide(scores, criteria), **options}
    return _scoring_matrix(criteria, scores, **options)


def run(analysis: str, tables: dict[str, Any], *args: Any, **options: Any) -> Any:
    if _PAIRS["on"] and "scores" in tables:
        tables = {**tables, SCORES_BY_CRITERION: _pairs(tables["scores"])}
    if _PAIRS["wide"] and "scores" in tables and "criteria" in tables:
        for wide in _wide(tables["scores"], tables["criteria"]).values():
            tables = {**tables, SCORES_BY_ACCOUNT: wide}
    return _run(analysis, tables, *args, **options)


def criteria(con: Any, rows: Sequence[tuple[str, str, float]]) -> Any:
    return con.create_table(
        f"criteria_{len(con.list_tables())}",
        pa.table(
            {
                "criterion_id": [r[0] for r in rows],
                "section": [r[1] for r in rows],
                "name": [f"criterion {r[0]}" for r in rows],
                "weight": pa.array([r[2] for r in rows], pa.float64()),
            }
        ),
    )


def scores(con: Any, rows: Sequence[tuple[str, str, float, str | None]]) -> Any:
    return con.create_table(
        f"scores_{len(con.list_tables())}",
        pa.table(
            {
                "account_id": [r[0] for r in rows],
                "criterion_id": [r[1] for r in rows],
                "score": pa.array([r[2] for r in rows], pa.float64()),
                "rater": pa.array([r[3] for r in rows], pa.string()),
            }
        ),
    )


def growth_only(con: Any) -> Any:
    return criteria(con, [(c, "growth", w) for c, w in GROWTH])


def one_rater(account_scores: Mapping[str, Sequence[float]]) -> list[Any]:
    return [
        (account, cid, float(x), "ann")
        for account, xs in account_scores.items()
        for (cid, _), x in zip(GROWTH, xs, strict=True)
    ]


def by_account(result: Any) -> dict[str, dict[str, object]]:
    return {str(r["account_id"]): r for r in result.rows}


def test_worked_check_gives_exactly_2_95_and_5_20(con: Any) -> None:
    result = scoring_matrix(
        growth_only(con),
        scores(con, one_rater({"A1": (8, 3, 2, 1), "A2": (4, 6, 8, 3)})),
    )
    rows = by_account(result)
    # 0.15·8 + 0.35·3 + 0.20·2 + 0.30·1 = 1.2 + 1.05 + 0.4 + 0.3 = 2.95
    assert rows["A1"]["score"] == Decimal("2.95")
    assert str(rows["A1"]["growth"]) == "2.95"
    # 0.15·4 + 0.35·6 + 0.20·8 + 0.30·3 = 0.6 + 2.1 + 1.6 + 0.9 = 5.20
    assert str(rows["A2"]["score"]) == "5.20"
    assert [r["account_id"] for r in result.rows] == ["A2", "A1"]
    assert "2.949" not in result.to_json()
    assert "5.199" not in result.to_json()


def test_weights_given_as_percent_score_the_same(con: Any) -> None:
    crit = criteria(con, [(c, "growth", w * 100) for c, w in GROWTH])
    result = scoring_matrix(crit, scores(con, one_rater({"A1": (8, 3, 2, 1)})))
    assert str(result.rows[0]["score"]) == "2.95"


def test_overall_is_the_weighted_mean_of_sections(con: Any) -> None:
    crit = criteria(
        con, [("g", "growth", 1.0), ("h", "harmony", 1.0), ("v", "value_creation", 1)]
    )
    sc = scores(con, [("A", "g", 8, "r"), ("A", "h", 4, "r"), ("A", "v", 3, "r")])
    equal = scoring_matrix(crit, sc)
    # (8 + 4 + 3) / 3 = 5
    assert equal.rows[0]["score"] == Decimal("5")
    weighted = scoring_matrix(
        crit, sc, growth_weight=2, harmony_weight=1, value_creation_weight=1
    )
    # (2·8 + 4 + 3) / 4 = 5.75
    assert str(weighted.rows[0]["score"]) == "5.75"
    assert weighted.rows[0]["quadrant"] == "build the relationship"


def test_equal_scores_share_a_rank_and_are_marked_tied(con: Any) -> None:
    result = scoring_matrix(
        growth_only(con),
        scores(
            con,
            one_rater({"B": (4, 6, 8, 3), "A": (4, 6, 8, 3), "C": (8, 3, 2, 1)}),
        ),
    )
    got = [(r["rank"], r["account_id"], r["tied"]) for r in result.rows]
    assert got == [(1, "A", True), (1, "B", True), (3, "C", False)]


def test_raters_are_averaged_and_a_spread_over_3_is_flagged(con: Any) -> None:
    crit = criteria(con, [("g", "growth", 1.0)])
    sc = scores(
        con,
        [
            ("A", "g", 2, "ann"),
            ("A", "g", 7, "bob"),
            ("A", "g", 9, "cy"),
            ("B", "g", 5, "ann"),
            ("B", "g", 8, "bob"),
        ],
    )
    mean = by_account(scoring_matrix(crit, sc))
    assert str(mean["A"]["score"]) == "6.00"  # (2 + 7 + 9) / 3
    assert str(mean["B"]["score"]) == "6.50"  # (5 + 8) / 2
    assert mean["A"]["disagreements"] == 1  # 9 − 2 = 7 > 3
    assert mean["B"]["disagreements"] == 0  # 8 − 5 = 3 is not over 3
    median = by_account(scoring_matrix(crit, sc, aggregate_raters="median"))
    assert str(median["A"]["score"]) == "7.00"
    assert str(median["B"]["score"]) == "6.50"
    flagged = scoring_matrix(crit, sc).tables["disagreements"]
    assert flagged == [
        {
            "account_id": "A",
            "criterion_id": "g",
            "low": Decimal("2.00"),
            "high": Decimal("9.00"),
            "raters": 3,
            "spread": Decimal("7.00"),
        }
    ]


def test_missing_score_is_an_error_naming_account_and_criterion(con: Any) -> None:
    sc = scores(con, one_rater({"A1": (8, 3, 2, 1)})[:3])
    with pytest.raises(InputError, match="account A1 has no score for g4"):
        scoring_matrix(growth_only(con), sc)


def test_missing_skip_scores_the_given_criteria_and_marks_partial(con: Any) -> None:
    sc = scores(con, one_rater({"A1": (8, 3, 2, 1)})[:3])
    result = scoring_matrix(growth_only(con), sc, missing="skip")
    row = result.rows[0]
    # (0.15·8 + 0.35·3 + 0.20·2) / 0.70 = 2.65 / 0.7 = 3.785714…
    assert str(row["score"]) == "3.785714"
    assert row["partial"] is True
    assert row["criteria_scored"] == 3
    assert result.summary["partial"] == 1


def test_weights_that_do_not_sum_to_1_or_100_are_refused(con: Any) -> None:
    crit = criteria(con, [("g1", "growth", 0.5), ("g2", "growth", 0.4)])
    with pytest.raises(InputError, match=r"section growth sum to 0\.9"):
        scoring_matrix(crit, scores(con, [("A", "g1", 5, "r")]))


def test_negative_weight_is_refused(con: Any) -> None:
    crit = criteria(con, [("g1", "growth", 1.2), ("g2", "growth", -0.2)])
    with pytest.raises(InputError, match=r"criterion g2: weight -0\.2 is negative"):
        scoring_matrix(crit, scores(con, [("A", "g1", 5, "r")]))


def test_score_outside_1_to_10_is_refused_with_its_account(con: Any) -> None:
    sc = scores(con, [*one_rater({"A1": (8, 3, 2, 1)}), ("A2", "g1", 12, "r")])
    with pytest.raises(InputError, match="account A2, criterion g1: 12 is outside"):
        scoring_matrix(growth_only(con), sc, missing="skip")


def test_one_rater_scoring_a_pair_twice_is_refused(con: Any) -> None:
    sc = scores(con, [*one_rater({"A1": (8, 3, 2, 1)}), ("A1", "g1", 5, "ann")])
    with pytest.raises(InputError, match="rater ann scored it 2 times"):
        scoring_matrix(growth_only(con), sc)


def test_unknown_criterion_is_refused(con: Any) -> None:
    sc = scores(con, [*one_rater({"A1": (8, 3, 2, 1)}), ("A1", "zz", 5, "ann")])
    with pytest.raises(InputError, match="criterion zz is not on the Criteria"):
        scoring_matrix(growth_only(con), sc)


def test_empty_criteria_sheet_says_so(con: Any) -> None:
    empty = con.create_table(
        "criteria_empty",
        schema=ibis.schema(
            {
                "criterion_id": "string",
                "section": "string",
                "name": "string",
                "weight": "float64",
            }
        ),
    )
    with pytest.raises(MissingDataError, match="Criteria sheet has no rows"):
        scoring_matrix(empty, scores(con, [("A", "g1", 5, "r")]))


def test_bad_parameters_name_themselves(con: Any) -> None:
    crit, sc = growth_only(con), scores(con, one_rater({"A1": (8, 3, 2, 1)}))
    with pytest.raises(ParameterError, match="aggregate_raters"):
        scoring_matrix(crit, sc, aggregate_raters="mode")
    with pytest.raises(ParameterError, match="perturbation"):
        scoring_matrix(crit, sc, perturbation=1.5)


def test_rank_stability_counts_perturbations_that_change_the_rank(con: Any) -> None:
    # Two criteria of weight .5 each. A = (10, 1) → 5.5, B = (5, 5) → 5.0.
    # Each perturbation, renormalised by the new weight sum:
    #   g1 × 1.2: shares .6/1.1, .5/1.1 → A = (6 + .5)/1.1 = 5.909, B = 5 → A first
    #   g1 × 0.8: shares .4/.9, .5/.9 → A = (4 + .5)/.9 = 5.0, B = 5 → tie, both 1
    #   g2 × 1.2: shares .5/1.1, .6/1.1 → A = (5 + .6)/1.1 = 5.09, B = 5 → A first
    #   g2 × 0.8: shares .5/.9, .4/.9 → A = (5 + .4)/.9 = 6.0 → A first
    # B (base rank 2) moves to rank 1 in one of four perturbations.
    crit = criteria(con, [("g1", "growth", 0.5), ("g2", "growth", 0.5)])
    sc = scores(
        con,
        [
            ("A", "g1", 10, "r"),
            ("A", "g2", 1, "r"),
            ("B", "g1", 5, "r"),
            ("B", "g2", 5, "r"),
        ],
    )
    rows = by_account(scoring_matrix(crit, sc))
    assert rows["A"]["rank"] == 1
    assert rows["B"]["rank"] == 2
    assert rows["A"]["rank_change_share"] == 0.0
    assert rows["B"]["rank_change_share"] == 0.25
    assert (rows["B"]["rank_min"], rows["B"]["rank_max"]) == (1, 2)
    assert (rows["A"]["rank_min"], rows["A"]["rank_max"]) == (1, 1)


def test_without_revenue_class_and_revenue_are_blank_with_a_warning(
    con: Any,
) -> None:
    result = run(
        "scoring",
        {
            "criteria": growth_only(con),
            "scores": scores(con, one_rater({"A": (5,) * 4})),
        },
    )
    assert result.rows[0]["abc_class"] is None
    assert result.rows[0]["revenue"] is None
    assert any("no Revenue sheet" in w for w in result.warnings)


def test_selection_table_carries_abc_class_and_revenue(con: Any) -> None:
    money = pa.decimal128(18, 2)
    revenue = con.create_table(
        "revenue_sel",
        pa.table(
            {
                "account_id": ["A", "B", "C"],
                "period": ["2024"] * 3,
                "product": ["P"] * 3,
                "amount": pa.array([Decimal(90), Decimal(6), Decimal(4)], money),
            }
        ),
    )
    sc = scores(con, one_rater({"A": (5,) * 4, "B": (6,) * 4, "C": (7,) * 4}))
    result = run(
        "scoring", {"criteria": growth_only(con), "scores": sc, "revenue": revenue}
    )
    rows = by_account(result)
    # before-shares 0, .90, .96 → A, B (< .95), C
    assert [rows[a]["abc_class"] for a in "ABC"] == ["A", "B", "C"]
    assert rows["B"]["revenue"] == Decimal("6.00")
    assert [r["account_id"] for r in result.rows] == ["C", "B", "A"]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(1, 10)] * 4), min_size=1, max_size=6),
    st.sampled_from(["mean", "median"]),
)
def test_scores_stay_within_1_and_10(
    per_account: list[tuple[int, int, int, int]], aggregate: str
) -> None:
    con = ibis.duckdb.connect()
    try:
        accounts = {f"A{i}": xs for i, xs in enumerate(per_account)}
        result = scoring_matrix(
            growth_only(con),
            scores(con, one_rater(accounts)),
            aggregate_raters=aggregate,
            stability=False,
        )
    finally:
        con.disconnect()
    for r in result.rows:
        assert Decimal(1) <= Decimal(str(r["score"])) <= Decimal(10)
        assert 1 <= int(str(r["rank"])) <= len(per_account)


def test_a_rater_twice_among_three_scores_is_refused(con: Any) -> None:
    crit = criteria(con, [("g", "growth", 1.0)])
    sc = scores(con, [("A", "g", 5, "ann"), ("A", "g", 6, "bob"), ("A", "g", 7, "ann")])
    with pytest.raises(InputError, match="rater ann scored it 2 times"):
        scoring_matrix(crit, sc)


def test_scores_without_rater_count_as_one_rater(con: Any) -> None:
    crit = criteria(con, [("g", "growth", 1.0)])
    sc = scores(con, [("A", "g", 5, None), ("A", "g", 6, None)])
    with pytest.raises(InputError, match=r"rater \(no rater\) scored it 2 times"):
        scoring_matrix(crit, sc)


def _reference_ranks(overall: Mapping[str, Fraction]) -> dict[str, int]:
    """Rank by the score rounded to 6 decimals, equal scores sharing the smallest."""
    rounded = {
        a: Decimal(v.numerator) / Decimal(v.denominator) for a, v in overall.items()
    }
    rounded = {a: v.quantize(Decimal("0.000001")) for a, v in rounded.items()}
    return {
        a: 1 + sum(1 for w in rounded.values() if w > v) for a, v in rounded.items()
    }


def _reference_overall(
    crits: Sequence[tuple[str, str, Fraction]],
    xs: Mapping[str, Mapping[str, Fraction]],
) -> dict[str, Fraction]:
    """Section scores Σ w x / Σ w over the criteria scored, overall their mean."""
    out: dict[str, Fraction] = {}
    for account, by_criterion in xs.items():
        sections: dict[str, list[Fraction]] = {}
        for cid, section, w in crits:
            if cid in by_criterion:
                num_den = sections.setdefault(section, [Fraction(0), Fraction(0)])
                num_den[0] += w * by_criterion[cid]
                num_den[1] += w
        means = [num / den for num, den in sections.values()]
        out[account] = sum(means, Fraction(0)) / len(means)
    return out


def test_rank_stability_matches_rescoring_with_each_weight_moved(con: Any) -> None:
    # 40 accounts, two raters, one account short of a criterion (missing=skip):
    # every perturbed ranking is recomputed from scratch with exact fractions.
    import random

    rng = random.Random(7)
    crit_rows = [
        ("g1", "growth", 0.15),
        ("g2", "growth", 0.35),
        ("g3", "growth", 0.20),
        ("g4", "growth", 0.30),
        ("h1", "harmony", 0.6),
        ("h2", "harmony", 0.4),
    ]
    rows: list[tuple[str, str, float, str | None]] = []
    xs: dict[str, dict[str, Fraction]] = {}
    for i in range(40):
        account = f"A{i:02d}"
        xs[account] = {}
        for cid, _, _ in crit_rows:
            if account == "A07" and cid == "h2":
                continue
            a, b = rng.randint(1, 10), rng.randint(1, 10)
            if i % 5 == 0:  # some accounts copy another's scores: ties
                a = b = 2 + len(cid)
            rows += [(account, cid, float(a), "ann"), (account, cid, float(b), "bob")]
            xs[account][cid] = Fraction(a + b, 2)
    weights = [(c, s, Fraction(str(w))) for c, s, w in crit_rows]
    base = _reference_ranks(_reference_overall(weights, xs))
    moved: dict[str, list[int]] = {a: [] for a in xs}
    for k in range(len(crit_rows)):
        for factor in (Fraction(6, 5), Fraction(4, 5)):
            w2 = [
                (c, s, w * factor if i == k else w)
                for i, (c, s, w) in enumerate(weights)
            ]
            for a, r in _reference_ranks(_reference_overall(w2, xs)).items():
                moved[a].append(r)
    result = scoring_matrix(criteria(con, crit_rows), scores(con, rows), missing="skip")
    got = by_account(result)
    assert result.summary["perturbations"] == 12
    for a in xs:
        assert got[a]["rank"] == base[a], a
        assert got[a]["tied"] == (list(base.values()).count(base[a]) > 1), a
        changed = sum(1 for r in moved[a] if r != base[a])
        assert got[a]["rank_change_share"] == changed / 12, a
        assert got[a]["rank_min"] == min([base[a], *moved[a]]), a
        assert got[a]["rank_max"] == max([base[a], *moved[a]]), a
    assert result.summary["unstable"] == sum(
        1 for a in xs if any(r != base[a] for r in moved[a])
    )
    assert 0 < result.summary["unstable"] < 40  # the check is not vacuous
    assert result.summary["tied"] >= 8
    assert got["A07"]["partial"] is True
    assert got["A07"]["criteria_scored"] == 5
    assert [r["rank"] for r in result.rows] == sorted(base.values())
    # Criteria table: mean over the accounts scored, accounts scored.
    table = {r["criterion_id"]: r for r in result.tables["criteria"]}
    h2 = [v["h2"] for v in xs.values() if "h2" in v]
    mean = sum(h2, Fraction(0)) / len(h2)
    expected = (Decimal(mean.numerator) / Decimal(mean.denominator)).quantize(
        Decimal("0.000001")
    )
    assert table["h2"]["accounts"] == 39
    assert table["h2"]["mean_score"] == expected


@pytest.mark.parametrize("n", [30, 31, 40])
def test_each_criterion_counts_its_own_disagreements_with_many_criteria(
    con: Any, n: int
) -> None:
    # n growth criteria: weight 2 each but the first, which takes the rest of
    # 100. Account A: raters 1 and 9 apart (8 > 3) on
    # criteria 0 and n−1, agreeing (5, 5) elsewhere; account B: apart on criterion
    # n−1 only (2 and 10), 6 and 6 elsewhere.
    ids = [f"k{i:02d}" for i in range(n)]
    weights = [100.0 - 2 * (n - 1)] + [2.0] * (n - 1)
    crit = criteria(con, [(c, "growth", w) for c, w in zip(ids, weights, strict=True)])
    rows: list[Any] = []
    for i, c in enumerate(ids):
        a = (1.0, 9.0) if i in (0, n - 1) else (5.0, 5.0)
        b = (2.0, 10.0) if i == n - 1 else (6.0, 6.0)
        rows += [("A", c, a[0], "r1"), ("A", c, a[1], "r2")]
        rows += [("B", c, b[0], "r1"), ("B", c, b[1], "r2")]
    result = scoring_matrix(crit, scores(con, rows))
    got = by_account(result)
    assert got["A"]["disagreements"] == 2
    assert got["B"]["disagreements"] == 1
    # Every criterion means 5 for A and 6 for B: the overall scores are 5 and 6.
    assert got["A"]["score"] == Decimal("5")
    assert got["B"]["score"] == Decimal("6")
    table = {r["criterion_id"]: r for r in result.tables["criteria"]}
    expected = dict.fromkeys(ids, 0)
    expected[ids[0]] = 1
    expected[ids[-1]] = 2
    assert {c: table[c]["disagreements"] for c in ids} == expected
    assert all(table[c]["accounts"] == 2 for c in ids)
    flagged = sorted(
        (r["account_id"], r["criterion_id"]) for r in result.tables["disagreements"]
    )
    assert flagged == sorted([("A", ids[0]), ("A", ids[-1]), ("B", ids[-1])])


def test_the_per_account_pre_aggregate_is_read_when_it_holds_the_sheets_ids(
    con: Any,
) -> None:
    # The pre-aggregate of A1's worked check (2.95) beside Scores rows that would
    # give 5.20: the scores come from the pre-aggregate.
    crit = growth_only(con)
    built = scores_by_account(scores(con, one_rater({"A1": (8, 3, 2, 1)})), crit)
    assert built is not None
    wide = con.create_table("wide_given", built)
    other = scores(con, one_rater({"A1": (4, 6, 8, 3)}))
    result = _scoring_matrix(crit, other, wide=wide)
    assert by_account(result)["A1"]["score"] == Decimal("2.95")
    # With another sheet (one more criterion) it is not: 5.20 from the rows.
    more = criteria(
        con, [*((c, "growth", w) for c, w in GROWTH), ("h1", "harmony", 1.0)]
    )
    rows = [*one_rater({"A1": (4, 6, 8, 3)}), ("A1", "h1", 5.0, "ann")]
    result = _scoring_matrix(more, scores(con, rows), wide=wide)
    assert by_account(result)["A1"]["growth"] == Decimal("5.20")


def test_ids_that_cannot_name_columns_build_no_per_account_pre_aggregate(
    con: Any,
) -> None:
    rows = [("A1", "g1", 5.0, "ann")]
    for ids in (["g 1"], ["g1", "G1"], ["g-1"], [f"k{i}" for i in range(65)]):
        crit = criteria(con, [(c, "growth", 1.0 / len(ids)) for c in ids])
        assert scores_by_account(scores(con, rows), crit) is None, ids
    built = scores_by_account(scores(con, rows), growth_only(con))
    assert built is not None
    assert {"x__g1", "rows__g1", "spread__g1", "dup__g1", "unknown"} <= set(
        built.columns
    )


def test_per_account_pre_aggregate_counts_criteria_over_every_id(con: Any) -> None:
    # A1: g1 by ann and bob (two raters), g2 twice by ann (one rater twice), g3
    # by three raters, g4 none: 3 criteria scored, 1 duplicate, 1 with > 2 scores.
    rows = [
        ("A1", "g1", 5.0, "ann"),
        ("A1", "g1", 6.0, "bob"),
        ("A1", "g2", 5.0, "ann"),
        ("A1", "g2", 7.0, "ann"),
        ("A1", "g3", 4.0, "ann"),
        ("A1", "g3", 4.0, "bob"),
        ("A1", "g3", 4.0, "cy"),
        ("B2", "g4", 9.0, "ann"),
    ]
    built = scores_by_account(scores(con, rows), growth_only(con))
    assert built is not None
    got = {
        r["account_id"]: (r["criteria_scored"], r["dups"], r["multi"])
        for r in built.to_pyarrow().to_pylist()
    }
    assert got == {"A1": (3, 1, 1), "B2": (1, 0, 0)}


def test_ranks_of_scores_in_descending_order_share_the_smallest_rank() -> None:
    # 9, 7, 7, 5, 5, 5, 1: ranks 1, 2, 2, 4, 4, 4, 7; ties 1, 2, 2, 3, 3, 3, 1.
    values = pa.array([9.0, 7.0, 7.0, 5.0, 5.0, 5.0, 1.0]).to_numpy()
    rank, ties = ranks_in_order(values)
    assert rank.tolist() == [1, 2, 2, 4, 4, 4, 7]
    assert ties.tolist() == [1, 2, 2, 3, 3, 3, 1]
    empty_rank, empty_ties = ranks_in_order(values[:0])
    assert (len(empty_rank), len(empty_ties)) == (0, 0)
