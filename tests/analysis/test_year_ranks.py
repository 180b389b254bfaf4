"""ABC over whole calendar years read from the ranks the engine stores once per data
version (``_revenue_year_ranks``, :mod:`kam.analysis.year_ranks`).

Every result of the stored path is compared with the same ABC computed at query time
(the engine restricted to every account ranks its own rows: a filtered values table
has no facts) and with classes worked out here in plain Python (analyses.md §2).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from kam.analysis.class_tables import YEAR_CLASSES, ranked_year_classes, year_classes
from kam.analysis.facts import narrow_money
from kam.analysis.preagg import metric_values
from kam.analysis.year_ranks import YEAR_RANKS, stored_ranks
from kam.engine.core import Engine, open_engine
from tests.analysis.golden import arrow_table, preaggregated_ledger
from tests.conftest import postgres_backend_in_schema

Ledger = list[tuple[str, str, str, object]]


def ledger(text: str) -> Ledger:
    """Revenue rows of product P from ``account period amount; ...``."""
    rows = (item.split() for item in text.split(";"))
    return [(a, p, "P", int(v)) for a, p, v in rows]


#: Ties at both cut-offs, a zero row, accounts in some years only, period texts of
#: every grain, 2023 missing inside the default range (2022 – 2024), 2021 before it
#: and a partial 2025 after it. 2022 (of 100): A 40, B 20, C 20, D 20: D is 0.80
#: before but ties with B (0.40) → A. 2024 (of 100): A 50, F 25, B 10, C 5, D 5, G 5:
#: G is 0.95 before but ties with C (0.85) → B. Pooled (of 200): A 90, B 30, C 25,
#: D 25, F 25, G 5: F is 0.85 before but ties with C (0.60) → A; G 0.975 → C.
AWKWARD = ledger(
    "A 2021 10; H 2021-06 90; A 2022-01 15; A 2022-06 25; B 2022-Q2 20; C 2022 20; "
    "D 2022-11 20; E 2022 0; A 2024-Q1 20; A 2024-Q3 30; F 2024 25; B 2024-03 10; "
    "C 2024-Q4 5; D 2024 5; G 2024-12 5; E 2024-07 0; A 2025-01 30; H 2025-02 5"
)

#: Data in 2021, 2023 and 2024 only: the range is 2022 – 2024 and an account's class
#: before 2023 is none (2022), not its class in 2021.
GAP_FIRST = ledger(
    "A 2021 100; B 2021 50; A 2023-01 40; A 2023-Q3 40; B 2023 80; C 2023-05 20; "
    "A 2024 60; B 2024-02 60; C 2024 0; D 2024-Q4 30"
)

#: Eight accounts over 2022 – 2024, each year of 1000 (classes worked out in
#: test_hand_worked_classes_and_moves_from_the_stored_ranks).
HAND = ledger(
    "K1 2022-01 200; K1 2022-Q3 300; K2 2022 200; K3 2022-05 150; K4 2022 100; "
    "K5 2022-12 50; K1 2023 300; K2 2023-Q1 300; K3 2023 200; K4 2023-02 100; "
    "K6 2023 100; K8 2023 0; K4 2024 400; K1 2024-Q2 200; K7 2024-03 200; "
    "K2 2024 100; K3 2024-10 40; K6 2024 40; K8 2024-Q1 20"
)

#: Sums of ≥ 10^16: every year of 10^16, the pooled sums up to 1.2 · 10^16.
HUGE: Ledger = [
    (a, str(y), "P", Decimal(v) * 10**15)
    for y, row in {
        2022: {"A": 5, "B": 3, "C": 2},
        2023: {"B": 6, "A": 3, "C": 1},
        2024: {"A": 4, "C": 4, "B": 1, "D": 1},
    }.items()
    for a, v in row.items()
]

#: Whole months only, 2022 – 2024 (a range may start in any month).
MONTHLY: Ledger = [
    (a, f"{y}-{m:02d}", "P", (ord(a) * m * 7 + y) % 50)
    for a in "ABCDEF"
    for y in (2022, 2023, 2024)
    for m in range(1, 13)
]

PORTFOLIOS = {"awkward": AWKWARD, "gap_first": GAP_FIRST, "hand": HAND}
PORTFOLIOS |= {"huge": HUGE, "monthly": MONTHLY}

PARAMS: list[dict[str, object]] = [
    {},
    {"boundary": "strict"},
    {"basis": "count"},
    {"basis": "count", "boundary": "strict", "count_cutoffs": "0.3,0.7"},
    {"cutoffs": "0.6,0.9"},
    {"cutoffs": "0.5,0.85", "boundary": "strict"},
]


def _ids(ledger: Ledger) -> list[str]:
    return sorted({r[0] for r in ledger})


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    """One engine per portfolio, over a Parquet ledger."""
    made = {}
    for name, ledger in PORTFOLIOS.items():
        folder = tmp_path_factory.mktemp(name) / "ledger"
        made[name] = open_engine(
            f"parquet:{preaggregated_ledger(folder, 'revenue', 'Revenue', ledger)}"
        )
    yield made
    for engine in made.values():
        engine.close()


# ----------------------------------------------------------- the rule, by hand


def classes_by_hand(
    values: dict[str, Decimal],
    cuts: Sequence[float] = (0.80, 0.95),
    boundary: str = "upper",
    basis: str = "value",
) -> dict[str, str]:
    """analyses.md §2: rank by value (ties by account_id); a tie group takes the
    class of its first account; no class without a positive value."""
    order = sorted(
        ((v, a) for a, v in values.items() if v > 0), key=lambda t: (-t[0], t[1])
    )
    total, n = float(sum(v for v, _ in order)), len(order)
    out: dict[str, str] = {}
    first: dict[Decimal, str] = {}
    cum = Decimal(0)
    for i, (v, a) in enumerate(order):
        if v not in first:
            if basis == "value":
                before, upto = float(cum) / total, float(cum + v) / total
            else:
                before, upto = i / n, (i + 1) / n
            c1, c2 = cuts
            if boundary == "upper":
                first[v] = "A" if before < c1 else "B" if before < c2 else "C"
            else:
                first[v] = "A" if i == 0 or upto <= c1 else "B" if upto <= c2 else "C"
        out[a] = first[v]
        cum += v
    return out


class ByHand:
    """Classes per grain period and pooled, migration counts and the lists of moves
    of ``ledger``, its period texts mapped to grain periods by ``bucket`` (None:
    outside the range)."""

    def __init__(
        self,
        ledger: Ledger,
        periods: Sequence[str],
        bucket: Callable[[str], str | None],
        params: dict[str, object],
    ) -> None:
        basis = str(params.get("basis", "value"))
        key = "cutoffs" if basis == "value" else "count_cutoffs"
        default = "0.8,0.95" if basis == "value" else "0.2,0.5"
        cuts = tuple(float(c) for c in str(params.get(key, default)).split(","))
        boundary = str(params.get("boundary", "upper"))
        sums: dict[str, dict[str, Decimal]] = {p: {} for p in [*periods, "pooled"]}
        for account, text, _, amount in ledger:
            label = bucket(text)
            if label is not None:
                for p in (label, "pooled"):
                    sums[p][account] = sums[p].get(account, 0) + Decimal(str(amount))
        self.values = sums
        self.classes = {
            p: classes_by_hand(v, cuts, boundary, basis) for p, v in sums.items()
        }
        self.moves: dict[tuple[str, str, str], int] = {}
        self.ups: list[tuple[str, str, str, str]] = []
        self.downs: list[tuple[str, str, str, str]] = []
        for p0, p1 in itertools.pairwise(periods):
            c0, c1 = self.classes[p0], self.classes[p1]
            ups: list[Any] = []
            downs: list[Any] = []
            for a in sorted(set(c0) | set(c1)):
                f, t = c0.get(a, "new"), c1.get(a, "lost")
                cell = (p1, f, t)
                self.moves[cell] = self.moves.get(cell, 0) + 1
                if f != "new" and t != "lost" and f != t:
                    big = max(sums[p0][a], sums[p1][a])
                    key_ = (-abs(ord(t) - ord(f)), -big, a)
                    (ups if t < f else downs).append((key_, (p1, a, f, t)))
            self.ups += [m for _, m in sorted(ups)]
            self.downs += [m for _, m in sorted(downs)]
        self.previous = {
            (p1, a): self.classes[p0].get(a, "new")
            for p0, p1 in itertools.pairwise(periods)
            for a in self.classes[p1]
        }


def by_year(first: int, last: int) -> Callable[[str], str | None]:
    """Calendar years ``first`` … ``last`` of any period text."""
    return lambda text: text[:4] if first <= int(text[:4]) <= last else None


def check_by_hand(result: Any, want: ByHand) -> None:
    """The classes, previous classes, migration counts and lists of ``result``."""
    flat = {(p, a): c for p, got in want.classes.items() for a, c in got.items()}
    assert classes_of(result) == flat
    rows = result.rows
    previous = {(r["period"], r["account_id"]): r["previous_class"] for r in rows}
    assert {k: v for k, v in previous.items() if v is not None} == want.previous
    assert moves(result) == want.moves
    for name, wanted in (("upgrades", want.ups), ("downgrades", want.downs)):
        listed = [
            (r["period_to"], r["account_id"], r["from_class"], r["to_class"])
            for r in result.tables[name]
        ]
        assert listed == wanted, name


def moves(result: Any) -> dict[tuple[str, str, str], int]:
    """The migration cells with accounts: (period_to, from, to) → accounts."""
    cells = [m for m in result.tables["migration"] if m["accounts"]]
    return {
        (m["period_to"], m["from_class"], m["to_class"]): m["accounts"] for m in cells
    }


def classes_of(result: Any) -> dict[tuple[str, str], str]:
    """(period, account_id) → class of every row of ``result``."""
    return {(r["period"], r["account_id"]): r["class"] for r in result.rows}


def spec(text: str) -> dict[tuple[str, str], str]:
    """(period, account) → class from ``period: account class ...; ...``."""
    out: dict[tuple[str, str], str] = {}
    for part in text.split(";"):
        period, items = part.split(":")
        pairs = items.split()
        out |= {
            (period.strip(), a): c for a, c in zip(pairs[::2], pairs[1::2], strict=True)
        }
    return out


def ranks_stored_for(engine: Engine, periods: Sequence[str]) -> bool:
    """Whether ``engine`` holds stored ranks that an ABC over ``periods`` reads."""
    built = engine.tables(built_only=True)
    values = metric_values({"revenue": built["_revenue_by_period"]}, "revenue")
    return YEAR_RANKS in built and stored_ranks(values, periods, periods) is not None


def both_ways(engine: Engine, ledger: Ledger, params: dict[str, object]) -> Any:
    """The ABC from the engine and computed by the engine restricted to every
    account, asserted equal; the first."""
    stored = engine.run("abc", params)
    computed = engine.run("abc", params, accounts=_ids(ledger))
    assert stored.to_dict() == computed.to_dict()
    return stored


# ------------------------------------------------------------------- the tests


DEFAULT_YEARS = ["2022", "2023", "2024"]


@pytest.mark.parametrize(
    "params", PARAMS, ids=lambda p: ",".join(map(str, p.items())) or "defaults"
)
@pytest.mark.parametrize("name", ["awkward", "gap_first", "hand"])
def test_stored_and_computed_ranks_give_the_same_abc(
    engines: dict[str, Engine], name: str, params: dict[str, object]
) -> None:
    engine, ledger = engines[name], PORTFOLIOS[name]
    assert ranks_stored_for(engine, DEFAULT_YEARS)
    result = both_ways(engine, ledger, params)
    assert result.summary["periods"] == DEFAULT_YEARS
    check_by_hand(result, ByHand(ledger, DEFAULT_YEARS, by_year(2022, 2024), params))


def test_a_year_without_data_breaks_the_chain_of_previous_classes(
    engines: dict[str, Engine],
) -> None:
    for name, gap in (("awkward", "2023"), ("gap_first", "2022")):
        result = engines[name].run("abc", {})
        assert f"no revenue in {gap}: no account has a class there" in result.warnings
        after = str(int(gap) + 1)
        shown = [r["previous_class"] for r in result.rows if r["period"] == after]
        assert shown, name
        assert set(shown) == {"new"}, name
    ranks = engines["awkward"].tables()[YEAR_RANKS]
    rows = ranks.to_pyarrow().to_pylist()
    prev = {(r["period"], r["account"]): r["prev_value"] for r in rows}
    # 2024 follows the empty 2023; 2022 follows 2021, where only A and H had revenue.
    assert {k: v for k, v in prev.items() if k[0] == "2024"} == dict.fromkeys(
        [("2024", a) for a in "ABCDFG"]
    )
    assert prev[("2022", "A")] == Decimal("10.00")
    assert prev[("2022", "B")] is None


def test_hand_worked_classes_and_moves_from_the_stored_ranks(
    engines: dict[str, Engine],
) -> None:
    # 2022 (of 1000) before-shares K1 0, K2 .5, K3 .7, K4 .85, K5 .95 → A A A B C.
    # 2023: K1 0, K2 .3 (tie with K1), K3 .6, K4 .8, K6 .9 (tie with K4) → A A A B B.
    # 2024: K4 0, K1 .4, K7 .6 (tie with K1), K2 .8, K3 .9, K6 .94 (tie with K3),
    # K8 .98 → A A A B B B C. Pooled (of 3000): K1 1000, K2 600, K4 600, K3 390,
    # K7 200, K6 140, K5 50, K8 20 → before 0, .333, .533, .733, .863, .93, .977,
    # .993 → A A A A B B C C.
    engine = engines["hand"]
    assert ranks_stored_for(engine, DEFAULT_YEARS)
    result = both_ways(engine, HAND, {})
    assert classes_of(result) == spec(
        "2022: K1 A K2 A K3 A K4 B K5 C; 2023: K1 A K2 A K3 A K4 B K6 B;"
        "2024: K4 A K1 A K7 A K2 B K3 B K6 B K8 C;"
        "pooled: K1 A K2 A K4 A K3 A K7 B K6 B K5 C K8 C"
    )
    pooled = [r["account_id"] for r in result.rows if r["period"] == "pooled"]
    assert pooled == ["K1", "K2", "K4", "K3", "K7", "K6", "K5", "K8"]
    assert result.summary["classes"] == {"A": 4, "B": 2, "C": 2}
    assert result.summary["total"] == "3000.00"
    assert moves(result) == {
        **{("2023", f, t): n for f, t, n in [("A", "A", 3), ("B", "B", 1)]},
        **{("2023", f, t): n for f, t, n in [("C", "lost", 1), ("new", "B", 1)]},
        **{("2024", f, t): n for f, t, n in [("A", "A", 1), ("A", "B", 2)]},
        **{("2024", f, t): n for f, t, n in [("B", "A", 1), ("B", "B", 1)]},
        **{("2024", f, t): n for f, t, n in [("new", "A", 1), ("new", "C", 1)]},
    }
    downs = [(r["account_id"], r["value_before"]) for r in result.tables["downgrades"]]
    # Both fall one class: K2 (larger value 300) before K3 (200).
    assert downs == [("K2", Decimal("300.00")), ("K3", Decimal("200.00"))]
    up = result.tables["upgrades"]
    assert [(r["account_id"], r["from_class"], r["to_class"]) for r in up] == [
        ("K4", "B", "A")
    ]


def _fiscal_april(text: str) -> str | None:
    year, month = int(text[:4]), int(text[5:7])
    fy = year + 1 if month >= 4 else year  # named by the year it ends in
    return str(fy) if fy in (2023, 2024) else None


def _quarter_2024(text: str) -> str | None:
    return f"2024-Q{(int(text[5:7]) - 1) // 3 + 1}" if text.startswith("2024") else None


def _from_april_2022(text: str) -> str | None:
    return text[:4] if text >= "2022-04" else None


Bucket = Callable[[str], str | None]
NOT_STORED: list[tuple[dict[str, object], list[str], Bucket]] = [
    (
        {"period_from": "2023", "period_to": "2024"},
        ["2023", "2024"],
        by_year(2023, 2024),
    ),
    (
        {"period_from": "2022-04", "period_to": "2024-12"},
        DEFAULT_YEARS,
        _from_april_2022,
    ),
    (
        {"period_from": "2023", "period_to": "2024", "fiscal_year_start": 4},
        ["2023", "2024"],
        _fiscal_april,
    ),
    (
        {"period_from": "2024", "period_to": "2024", "grain": "quarter"},
        [f"2024-Q{q}" for q in range(1, 5)],
        _quarter_2024,
    ),
]


@pytest.mark.parametrize("boundary", ["upper", "strict"])
@pytest.mark.parametrize(
    "case", NOT_STORED, ids=["two_years", "mid_year", "fiscal_april", "quarters"]
)
def test_ranges_the_stored_ranks_do_not_hold_are_computed(
    engines: dict[str, Engine],
    case: tuple[dict[str, object], list[str], Bucket],
    boundary: str,
) -> None:
    params, periods, bucket = case
    engine = engines["monthly"]
    # The engine holds ranks of the default range (2022 – 2024), whose pooled rows
    # these ranges must not read (two whole years read the stored years and rank
    # their own pooled sums): the pooled sums and classes by hand tell them apart.
    assert ranks_stored_for(engine, DEFAULT_YEARS)
    params = {**params, "boundary": boundary}
    result = both_ways(engine, MONTHLY, params)
    assert result.summary["periods"] == periods
    want = ByHand(MONTHLY, periods, bucket, params)
    check_by_hand(result, want)
    assert Decimal(str(result.summary["total"])) == sum(want.values["pooled"].values())


def test_sums_beyond_sixteen_digits_count_the_moves_in_the_query(
    engines: dict[str, Engine],
) -> None:
    engine = engines["huge"]
    values = metric_values(
        {"revenue": engine.tables()["_revenue_by_period"]}, "revenue"
    )
    assert narrow_money(values) is None
    assert ranks_stored_for(engine, DEFAULT_YEARS)
    result = both_ways(engine, HUGE, {})
    # 2022 (of 10^16): A .5, B .3, C .2 → before 0 .5 .8 → A A B. 2023: B .6, A .3,
    # C .1 → 0 .6 .9 → A A B. 2024: A .4, C .4 (tie), B .1, D .1 (tie) → A A B B.
    # Pooled (of 3 · 10^16): A 12, B 10, C 7, D 1 → before 0 .4 .733 .967 → A A A C.
    assert classes_of(result) == spec(
        "2022: A A B A C B; 2023: B A A A C B; 2024: A A C A B B D B;"
        "pooled: A A B A C A D C"
    )
    assert result.summary["total"] == "30000000000000000.00"
    assert moves(result) == {
        **{("2023", f, t): n for f, t, n in [("A", "A", 2), ("B", "B", 1)]},
        **{("2024", f, t): 1 for f, t in [("A", "A"), ("A", "B"), ("B", "A")]},
        ("2024", "new", "B"): 1,
    }
    assert [r["account_id"] for r in result.tables["upgrades"]] == ["C"]
    down = result.tables["downgrades"][0]
    assert (down["account_id"], down["value_before"]) == ("B", Decimal(6 * 10**15))


def test_year_classes_from_the_ranks_equal_those_from_the_rollup(
    engines: dict[str, Engine],
) -> None:
    engine = engines["awkward"]
    tables = engine.tables()

    def rows(expr: Any) -> list[tuple[object, ...]]:
        got = engine.to_pyarrow(expr).to_pylist()
        return sorted(
            (r["account"], r["period"], r["revenue"], r["class"]) for r in got
        )

    from_ranks = rows(ranked_year_classes(tables[YEAR_RANKS]))
    assert from_ranks == rows(year_classes(tables["_revenue_by_year"]))
    assert rows(tables[YEAR_CLASSES]) == from_ranks
    want = ByHand(AWKWARD, ["2021", "2022", "2024", "2025"], by_year(2021, 2025), {})
    assert from_ranks == sorted(
        (a, p, want.values[p][a].quantize(Decimal("0.01")), c)
        for p in ("2021", "2022", "2024", "2025")
        for a, c in want.classes[p].items()
    )


@pytest.mark.postgres
@pytest.mark.parametrize("params", PARAMS[:3], ids=["defaults", "strict", "count"])
def test_ranks_built_on_first_need_in_postgresql_change_nothing(
    engines: dict[str, Engine], params: dict[str, object]
) -> None:
    with postgres_backend_in_schema("kam_ranks") as con:
        con.create_table("Revenue", arrow_table("revenue", AWKWARD))
        ids = _ids(AWKWARD)
        con.create_table(
            "Accounts",
            pa.table({"account_id": ids, "name": [f"Account {a}" for a in ids]}),
        )
        engine = open_engine(con)
        try:
            before = engine.run("abc", params)
            assert YEAR_RANKS not in engine.tables(built_only=True)
            engine.tables()  # builds what waits for a first reader
            assert ranks_stored_for(engine, DEFAULT_YEARS)
            engine.results.clear()
            after = engine.run("abc", params)
        finally:
            engine.close()
    duckdb = engines["awkward"].run("abc", params)
    assert before.to_dict() == after.to_dict() == duckdb.to_dict()
    check_by_hand(after, ByHand(AWKWARD, DEFAULT_YEARS, by_year(2022, 2024), params))
