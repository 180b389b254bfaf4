"""The deck's look: fonts, colours, company name and logo.

Fonts and colours come from the workspace settings (``KAM_DECK_FONT``,
``KAM_DECK_COLOURS``), the logo from ``KAM_DECK_LOGO`` (an image file on the server,
never a path taken from user data) and the company name from the ``company`` key of
the workbook's Settings sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pptx.dml import color as _colour

from kam.errors import InputError

__all__ = ["DEFAULT_COLOURS", "Theme", "parse_colours", "rgb"]

#: primary, accent, muted, A, B, C, text, background of the title slide.
DEFAULT_COLOURS: tuple[str, ...] = (
    "1F4E79",
    "C55A11",
    "7F7F7F",
    "2E7D32",
    "F9A825",
    "C62828",
    "262626",
    "1F4E79",
)
#: python-pptx's colour class is unannotated; typed as Any in one place.
_RGBColor: Any = _colour.RGBColor


def rgb(hex_colour: str) -> Any:
    """A python-pptx colour from six hex digits (``"1F4E79"``)."""
    return _RGBColor.from_string(hex_colour.upper())


_ROLES = ("primary", "accent", "muted", "a", "b", "c", "text", "title_bg")


def parse_colours(text: str) -> tuple[str, ...]:
    """Comma-separated hex colours (``#1F4E79,C55A11``) over the defaults, in order.

    Raises InputError naming the colour that is not six hex digits.
    """
    given = [p.strip().lstrip("#") for p in text.split(",") if p.strip()]
    for value in given:
        if len(value) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in value):
            raise InputError(
                f"deck colour {value!r} is not a colour such as #1F4E79 (six hex "
                f"digits); the order is {', '.join(_ROLES)}"
            )
    return tuple(given[: len(_ROLES)]) + DEFAULT_COLOURS[len(given) :]


@dataclass(frozen=True)
class Theme:
    """Fonts, colours (hex, no ``#``), the company name and an optional logo."""

    font: str = "Calibri"
    colours: tuple[str, ...] = field(default=DEFAULT_COLOURS)
    company: str = ""
    logo: Path | None = None

    def rgb(self, role: str) -> Any:
        """The colour of ``role``: primary, accent, muted, a, b, c, text, title_bg."""
        return rgb(self.colours[_ROLES.index(role)])

    def class_rgb(self, cls: str) -> Any:
        """The colour of an ABC class (A, B or C)."""
        return self.rgb(cls.lower())
