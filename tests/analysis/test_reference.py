"""Pareto and ABC against an independent pandas computation on 2,000 accounts."""

from __future__ import annotations

import random
from decimal import Decimal

import ibis
import numpy as np
import pandas as pd
import pytest

from kam.analysis.abc_analysis import abc_classes
from kam.analysis.pareto import pareto
from tests.analysis.golden import make_table

ACCOUNTS = 2000


def generate(seed: int = 11) -> pd.DataFrame:
    """Monthly revenue 2022-01 … 2025-03 over two products; heavy-tailed sizes, churn,
    late starts, and round amounts so that some accounts tie."""
    rng = random.Random(seed)
    rows = []
    for i in range(ACCOUNTS):
        account = f"C{i:05d}"
        size = int(rng.paretovariate(1.2) * 100) * 100  # cents, multiples of 1.00
        start = rng.randrange(0, 30) if rng.random() < 0.3 else 0
        stop = rng.randrange(start + 1, 39) if rng.random() < 0.2 else 39
        for m in range(start, stop):
            year, month = 2022 + m // 12, m % 12 + 1
            if rng.random() < 0.1:
                continue
            for product in ("P1", "P2"):
                if product == "P2" and rng.random() < 0.5:
                    continue
                rows.append((account, f"{year}-{month:02d}", product, size))
    return pd.DataFrame(rows, columns=["account_id", "period", "product", "cents"])


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, dict[str, ibis.Table]]:
    df = generate()
    con = ibis.duckdb.connect()
    rows = [
        (a, p, prod, Decimal(c) / 100) for a, p, prod, c in df.itertuples(index=False)
    ]
    return df, {"revenue": make_table(con, "revenue", rows)}


def ranked(per_account: pd.Series) -> pd.DataFrame:
    """Accounts by value descending, ties by id, with cumulative shares."""
    frame = per_account.rename("cents").reset_index()
    frame = frame.sort_values(["cents", "account_id"], ascending=[False, True])
    total = frame.cents.sum()
    frame["share"] = frame.cents / total
    frame["cum"] = frame.cents.cumsum() / total
    frame["before"] = (frame.cents.cumsum() - frame.cents) / total
    return frame.reset_index(drop=True)


def test_pareto_matches_pandas(
    data: tuple[pd.DataFrame, dict[str, ibis.Table]],
) -> None:
    df, tables = data
    in_2024 = df[df.period.str.startswith("2024")]
    ref = ranked(in_2024.groupby("account_id").cents.sum())
    k = int(np.argmax(ref.cum.to_numpy() >= 0.8)) + 1
    n = len(ref)
    asc = np.sort(ref.cents.to_numpy().astype(float))
    gini = float(np.sum((2 * np.arange(1, n + 1) - n - 1) * asc) / (n * asc.sum()))

    assert ref.cents.duplicated().sum() > 100  # ties are exercised
    result = pareto(tables, include_zero=False)
    assert result.parameters["period_from"] == "2024"
    assert [r["account_id"] for r in result.rows] == ref.account_id.tolist()
    assert [r["value"] for r in result.rows] == [
        Decimal(int(c)) / 100 for c in ref.cents
    ]
    assert [r["cum_share"] for r in result.rows] == pytest.approx(
        ref.cum.tolist(), abs=1e-12
    )
    assert result.summary["k"] == k
    assert result.summary["hhi"] == pytest.approx(
        float((ref.share**2).sum()), abs=1e-12
    )
    assert result.summary["gini"] == pytest.approx(gini, abs=1e-12)


def reference_classes(df: pd.DataFrame, year: str) -> pd.Series:
    """Upper rule with ties taking the first account's class, by pandas."""
    ref = ranked(df[df.period.str.startswith(year)].groupby("account_id").cents.sum())
    ref = ref[ref.cents > 0]
    raw = np.where(ref.before < 0.80, "A", np.where(ref.before < 0.95, "B", "C"))
    ref["raw"] = raw
    ref["cls"] = ref.groupby("cents").raw.transform("first")
    return ref.set_index("account_id").cls


def test_abc_and_migration_match_pandas(
    data: tuple[pd.DataFrame, dict[str, ibis.Table]],
) -> None:
    df, tables = data
    result = abc_classes(
        tables["revenue"]
        .group_by("account_id", "period")
        .agg(value=lambda t: t.amount.sum())
    )
    assert result.summary["periods"] == ["2022", "2023", "2024"]
    expected = {y: reference_classes(df, y) for y in ("2022", "2023", "2024")}
    for year, ref in expected.items():
        got = {r["account_id"]: r["class"] for r in result.rows if r["period"] == year}
        assert got == ref.to_dict(), year
    for before, after in (("2022", "2023"), ("2023", "2024")):
        b = expected[before].rename("from")
        a = expected[after].rename("to")
        joined = pd.concat([b, a], axis=1).fillna({"from": "new", "to": "lost"})
        want = joined.groupby(["from", "to"]).size().to_dict()
        got = {
            (c["from_class"], c["to_class"]): c["accounts"]
            for c in result.tables["migration"]
            if c["period_from"] == before and c["accounts"]
        }
        assert got == want
        ups = sorted(
            joined[
                (joined["from"] > joined["to"])
                & joined["to"].isin(list("ABC"))
                & joined["from"].isin(list("ABC"))
            ].index
        )
        got_ups = sorted(
            r["account_id"]
            for r in result.tables["upgrades"]
            if r["period_from"] == before
        )
        assert got_ups == ups
        assert len(ups) > 0
