"""The deck's frame: 16:9 slides, title, agenda, dividers, footer, numbers, notes.

A :class:`Deck` wraps a python-pptx presentation and a :class:`~kam.deck.theme.Theme`.
Slide builders (:mod:`kam.deck.slides`) call :meth:`Deck.slide` for a titled slide
with a footer and speaker notes, and :meth:`Deck.table` for tables that continue
over several slides. :meth:`Deck.finish` numbers the slides and fills the agenda.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pptx import Presentation
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from kam.deck.charts import safe_text
from kam.deck.theme import Theme, rgb
from kam.errors import ExportError

__all__ = ["BODY", "Box", "Deck"]

Box = tuple[int, int, int, int]

# PowerPoint's own 16:9 size: 13.333 in × 7.5 in.
WIDTH, HEIGHT = Emu(12_192_000), Emu(6_858_000)
_MARGIN = Inches(0.5)
#: The area under the title where charts and tables go.
BODY: Box = (_MARGIN, Inches(1.4), Emu(WIDTH - 2 * _MARGIN), Inches(5.3))
_WHITE = rgb("FFFFFF")
_BLANK = 6  # index of the "Blank" layout of python-pptx's default template
#: Table rows per slide (the header excluded).
ROWS_PER_SLIDE = 14


@dataclass
class Deck:
    """A presentation being built: its theme, footer text and agenda."""

    theme: Theme
    footer: str = ""
    prs: Any = field(default=None)
    agenda: list[str] = field(default_factory=list)
    _agenda_slide: Any = None

    def __post_init__(self) -> None:
        if self.prs is None:
            self.prs = Presentation()
            self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT

    # ----------------------------------------------------------------- text

    def _text(
        self,
        slide: Any,
        box: Box,
        text: str,
        *,
        size: int = 14,
        bold: bool = False,
        colour: str = "text",
        align: Any = PP_ALIGN.LEFT,
    ) -> Any:
        shape = slide.shapes.add_textbox(*box)
        frame = shape.text_frame
        frame.word_wrap = True
        para = frame.paragraphs[0]
        para.alignment = align
        run = para.add_run()
        run.text = text
        run.font.name = self.theme.font
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = _WHITE if colour == "white" else self.theme.rgb(colour)
        return shape

    def _blank(self) -> Any:
        return self.prs.slides.add_slide(self.prs.slide_layouts[_BLANK])

    def _fill(self, slide: Any, role: str) -> None:
        background = slide.background.fill
        background.solid()
        background.fore_color.rgb = self.theme.rgb(role)

    def _logo(self, slide: Any) -> None:
        if self.theme.logo is None:
            return
        try:
            slide.shapes.add_picture(
                str(self.theme.logo),
                Emu(WIDTH - Inches(2.0)),
                Inches(0.3),
                height=Inches(0.6),
            )
        except (OSError, ValueError) as exc:
            raise ExportError(
                f"deck logo {self.theme.logo}: not a readable image ({exc})"
            ) from exc

    # ----------------------------------------------------------------- slides

    def title_slide(self, title: str, subtitle: str, notes: str) -> Any:
        """The opening slide on the theme's title colour."""
        slide = self._blank()
        self._fill(slide, "title_bg")
        self._text(
            slide,
            (_MARGIN, Inches(1.6), BODY[2], Inches(2.2)),
            title,
            size=40,
            bold=True,
            colour="white",
        )
        self._text(
            slide,
            (_MARGIN, Inches(4.2), BODY[2], Inches(1.0)),
            subtitle,
            size=20,
            colour="white",
        )
        if self.theme.company:
            self._text(
                slide,
                (_MARGIN, Inches(6.3), BODY[2], Inches(0.5)),
                safe_text(self.theme.company),
                size=16,
                bold=True,
                colour="white",
            )
        self._logo(slide)
        self._notes(slide, notes)
        return slide

    def agenda_slide(self) -> Any:
        """The agenda; its items are the section titles, filled in by finish()."""
        slide = self.slide("Agenda", "The sections of this deck, in order.")
        self._agenda_slide = slide
        return slide

    def section(self, title: str, notes: str) -> Any:
        """A section divider; its title joins the agenda."""
        self.agenda.append(title)
        slide = self._blank()
        self._fill(slide, "primary")
        self._text(
            slide,
            (_MARGIN, Inches(3.0), BODY[2], Inches(1.2)),
            title,
            size=36,
            bold=True,
            colour="white",
        )
        self._notes(slide, notes)
        return slide

    def slide(self, title: str, notes: str, *, footer: str | None = None) -> Any:
        """A content slide: title, logo, footer (as-of date, parameters), notes."""
        slide = self._blank()
        self._text(
            slide,
            (_MARGIN, Inches(0.35), Emu(BODY[2] - Inches(2)), Inches(0.8)),
            title,
            size=24,
            bold=True,
            colour="primary",
        )
        self._logo(slide)
        text = footer if footer is not None else self.footer
        self._text(
            slide,
            (_MARGIN, Inches(6.95), Emu(BODY[2] - Inches(1)), Inches(0.4)),
            text,
            size=9,
            colour="muted",
        )
        self._notes(slide, notes)
        return slide

    def _notes(self, slide: Any, notes: str) -> None:
        slide.notes_slide.notes_text_frame.text = notes

    def table(
        self,
        title: str,
        notes: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        footer: str | None = None,
        per_slide: int = ROWS_PER_SLIDE,
    ) -> list[Any]:
        """``rows`` as tables of ``per_slide`` rows, continued over as many slides
        as needed (titles "… (2/3)"); every cell is text passed through safe_text."""
        chunks = [rows[i : i + per_slide] for i in range(0, len(rows), per_slide)]
        chunks = chunks or [[]]
        slides = []
        for n, chunk in enumerate(chunks, start=1):
            suffix = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
            slide = self.slide(title + suffix, notes, footer=footer)
            self.add_table(slide, columns, chunk)
            slides.append(slide)
        return slides

    def add_table(
        self,
        slide: Any,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        box: Box | None = None,
    ) -> Any:
        """A table on ``slide``: header row in the primary colour, text cells."""
        x, y, cx, _ = box or BODY
        height = Inches(0.3) * (len(rows) + 1)
        shape = slide.shapes.add_table(len(rows) + 1, len(columns), x, y, cx, height)
        table = shape.table
        for c, name in enumerate(columns):
            self._cell(table.cell(0, c), name, bold=True)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                self._cell(table.cell(r, c), value)
        return table

    def _cell(self, cell: Any, value: str, *, bold: bool = False) -> None:
        cell.text = safe_text(value)
        cell.margin_top = cell.margin_bottom = Inches(0.02)
        for para in cell.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = Pt(10)
                run.font.name = self.theme.font
                run.font.bold = bold

    # ----------------------------------------------------------------- finish

    def finish(self) -> Any:
        """Number every slide after the first ("n / total") and fill the agenda."""
        slides = list(self.prs.slides)
        if self._agenda_slide is not None:
            items = self.agenda or ["Overview"]
            box = self._text(
                self._agenda_slide, BODY, f"1. {items[0]}", size=24, colour="text"
            )
            for i, item in enumerate(items[1:], start=2):
                para = box.text_frame.add_paragraph()
                run = para.add_run()
                run.text = f"{i}. {item}"
                run.font.size = Pt(24)
                run.font.name = self.theme.font
        for n, slide in enumerate(slides[1:], start=2):
            self._text(
                slide,
                (Emu(WIDTH - Inches(1.5)), Inches(6.95), Inches(1.0), Inches(0.4)),
                f"{n} / {len(slides)}",
                size=9,
                colour="muted",
                align=PP_ALIGN.RIGHT,
            )
        return self.prs
