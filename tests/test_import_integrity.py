"""Every bad file of the corpus, imported through the command line into a store that
holds data, is refused with a located message and leaves the store exactly as it was."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kam.cli import main
from kam.config import get_settings
from kam.store.repository import Store
from tests.workbook import corpus

Builder = Callable[[Path], Path]

# (builder, environment limits, text the error output must contain)
BAD: list[tuple[Builder, dict[str, str], str]] = [
    (corpus.not_a_zip, {}, "not an Excel workbook"),
    (corpus.old_xls, {}, "old .xls"),
    (corpus.empty_file, {}, "not an Excel workbook"),
    (corpus.truncated_zip, {}, "truncated or damaged"),
    (corpus.zip_without_workbook, {}, "no xl/workbook.xml part"),
    (corpus.big_part, {"KAM_LIMIT_ENTRY_BYTES": "500000"}, "unpacks to"),
    (corpus.ratio_bomb, {}, "is compressed"),
    (corpus.many_entries, {"KAM_LIMIT_ZIP_ENTRIES": "20"}, "at most 20"),
    (corpus.xml_bomb, {}, "DOCTYPE"),
    (corpus.doctype_after_comment, {}, "DOCTYPE"),
    (corpus.doctype_in_utf16, {}, "DOCTYPE"),
    (corpus.stray_cell_xfd, {}, "column XFD"),
    (corpus.tall_dimension, {"KAM_LIMIT_ROWS_CLI": "1000"}, "at most 1000"),
    (corpus.twin_sheets, {}, "Accounts"),
    (corpus.missing_required_column, {}, "Accounts"),
    (corpus.duplicate_header, {}, "Accounts"),
    (corpus.text_in_number_column, {}, "row"),
    (corpus.negative_amount, {}, "amount"),
    (corpus.date_out_of_range, {}, "row"),
    (corpus.unknown_enumeration, {}, "row"),
    (corpus.duplicate_ids, {}, "duplicate"),
    (corpus.dangling_reference, {}, "row"),
    (corpus.reports_to_cycle, {}, "cycle"),
    (corpus.account_parent_cycle, {}, "cycle"),
    (corpus.weights_not_summing, {}, "Criteria"),
    (corpus.score_out_of_range, {}, "score"),
    (corpus.csv_invalid_utf8, {}, "line"),
    (corpus.csv_unmatched_quote, {}, "line"),
    (corpus.csv_oversized_field, {"KAM_LIMIT_CSV_FIELD_BYTES": "1024"}, "line"),
    (corpus.csv_nul_bytes, {}, "line"),
    (corpus.csv_bad_cells, {}, "row"),
]


@pytest.fixture
def loaded_store(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store' / 'kam.db'}"
    (tmp_path / "store").mkdir()
    good = tmp_path / "store" / "Accounts.csv"
    good.write_text("account_id,name\nSTORE-1,Kept Health\nSTORE-2,Kept Clinics\n")
    assert main(["import", str(good), "-d", url]) == 0
    yield url
    get_settings.cache_clear()


def _checksum(url: str) -> str:
    store = Store(url)
    try:
        return store.checksum()
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("build", "env", "needle"), BAD, ids=[b.__name__ for b, _, _ in BAD]
)
def test_bad_file_is_refused_and_the_store_is_unchanged(
    tmp_path: Path,
    loaded_store: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    build: Builder,
    env: dict[str, str],
    needle: str,
) -> None:
    before = _checksum(loaded_store)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    (tmp_path / "bad").mkdir()
    bad = build(tmp_path / "bad")
    capsys.readouterr()
    assert main(["import", str(bad), "-d", loaded_store]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error:")
    assert needle in err
    assert _checksum(loaded_store) == before
