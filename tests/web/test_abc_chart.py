"""The ABC page's two-sided chart: share of accounts left, share of value right."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from tests.web.conftest import Workspace, sign_in


def _figure(html: str, name: str) -> dict[str, object]:
    found = re.search(
        rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S
    )
    assert found is not None, f"no {name} on the page"
    figure: dict[str, object] = json.loads(found.group(1))
    return figure


def test_the_two_sided_chart_shows_the_pooled_class_shares(
    workspace: Workspace,
) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("abc-shares@example.com", "analyst"))
    params = {"cutoffs": "0.7,0.9"}
    result = client.get("/api/analyses/abc", params=params).json()
    pooled = [r for r in result["tables"]["classes"] if r["period"] == "pooled"]
    assert [r["class"] for r in pooled] == ["A", "B", "C"]

    # The analysis' numbers, checked independently: each share is the class's
    # accounts (value) over all pooled accounts (value), and each side sums to 1.
    n = sum(int(r["accounts"]) for r in pooled)
    total = sum(Decimal(str(r["value"])) for r in pooled)
    for r in pooled:
        assert abs(float(r["account_share"]) - int(r["accounts"]) / n) < 1e-9
        assert (
            abs(float(r["value_share"]) - float(Decimal(str(r["value"])) / total))
            < 1e-9
        )
    # Class A holds the largest accounts: a bigger share of value than of accounts.
    assert float(pooled[0]["value_share"]) > float(pooled[0]["account_share"])

    html = client.get("/tools/abc", params=params).text
    figure = _figure(html, "shares-figure")
    data = figure["data"]
    assert isinstance(data, list)
    left, right = data
    assert left["name"] == "share of accounts"
    assert right["name"] == "share of value"
    assert left["y"] == right["y"] == ["A", "B", "C"]
    # Account shares to the left (negative), value shares to the right, in %.
    expected_left = [-float(r["account_share"]) * 100 for r in pooled]
    expected_right = [float(r["value_share"]) * 100 for r in pooled]
    assert [round(x, 9) for x in left["x"]] == [round(x, 9) for x in expected_left]
    assert [round(x, 9) for x in right["x"]] == [round(x, 9) for x in expected_right]
    assert abs(sum(left["x"]) + 100) < 1e-6
    assert abs(sum(right["x"]) - 100) < 1e-6
    # Labels show the shares without a sign.
    assert left["text"][0] == f"{float(pooled[0]['account_share']) * 100:.1f} %"
