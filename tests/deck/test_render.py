"""LibreOffice renders every slide of both decks to a non-blank page.

Kept PNGs: on failure, the page images are copied to tests/artifacts/deck/.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from kam.deck import account_deck, portfolio_deck, write_deck
from kam.engine import Engine
from tests.deck.conftest import PARAMS, reopen

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="soffice not on PATH"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "deck"


def _render(deck: Path, work: Path) -> list[Path]:
    profile = work / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(deck),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = work / (deck.stem + ".pdf")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(pdf), str(work / deck.stem)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(work.glob(f"{deck.stem}-*.png"))


def _blank(png: Path) -> bool:
    """A page is blank when its grey levels barely vary (a uniform colour)."""
    with Image.open(png) as im:
        return ImageStat.Stat(im.convert("L")).var[0] < 20.0


@pytest.mark.parametrize("kind", ["portfolio", "account"])
def test_every_page_renders_non_blank(
    kind: str, tiny_engine: Engine, tmp_path: Path
) -> None:
    deck = tmp_path / f"{kind}.pptx"
    if kind == "portfolio":
        prs = portfolio_deck(tiny_engine, params=PARAMS, analyses=("pareto", "abc"))
    else:
        prs = account_deck(tiny_engine, "A4")
    write_deck(prs, deck)
    pages = _render(deck, tmp_path)
    try:
        assert len(pages) == len(reopen(deck).slides)
        blank = [p.name for p in pages if _blank(p)]
        assert blank == []
    except AssertionError:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for page in pages:
            shutil.copy(page, ARTIFACTS / page.name)
        raise
