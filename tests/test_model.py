"""The model is the single definition every layer derives from."""

from kam.model import EXTRA, SHEET_ORDER, SHEETS, Kind, Portfolio, Table, sheet


def test_every_reference_points_at_an_id_column_of_a_known_sheet() -> None:
    for s in SHEETS.values():
        for c in s.columns:
            if c.ref is not None:
                target = SHEETS[c.ref.sheet]
                assert c.ref.column in target.column_names, (s.name, c.name)
                assert target.key == (c.ref.column,), (s.name, c.name)


def test_sheet_order_puts_referenced_sheets_first() -> None:
    position = {name: i for i, name in enumerate(SHEET_ORDER)}
    for s in SHEETS.values():
        for c in s.columns:
            if c.ref is not None and c.ref.sheet != s.name:
                assert position[c.ref.sheet] < position[s.name], (s.name, c.name)


def test_keys_name_existing_columns() -> None:
    for s in SHEETS.values():
        for k in s.key or ():
            assert k in s.column_names or (s.wide and k == s.wide_name), (s.name, k)


def test_sheet_lookup_ignores_case_and_spaces() -> None:
    assert sheet("  accountteam ").name == "AccountTeam"


def test_enumerations_have_choices_and_only_they_do() -> None:
    for s in SHEETS.values():
        for c in s.columns:
            assert (c.kind is Kind.ENUM) == bool(c.choices), (s.name, c.name)


def test_table_round_trips_rows_and_defaults_missing_values() -> None:
    t = Table.for_sheet("Products")
    t.append({"product": "P1", "tier": 2})
    (row,) = list(t.rows())
    assert row["product"] == "P1"
    assert row["tier"] == 2
    assert row["family"] is None
    assert row[EXTRA] == {}
    assert Portfolio().table("MRR").columns[-1] == EXTRA
