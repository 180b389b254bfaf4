"""Slide decks with native, editable charts (python-pptx).

- :func:`portfolio_deck` / :func:`account_deck` build a presentation from the engine;
- :func:`write_deck` saves it;
- :func:`slide_builder` registers the slides of an analysis (later tools use it),
  :func:`account_section` a section of the account deck.
"""

from kam.deck.account import account_section
from kam.deck.build import (
    account_deck,
    deck_bytes,
    deck_theme,
    portfolio_deck,
    write_deck,
)
from kam.deck.registry import slide_builder
from kam.deck.theme import Theme

__all__ = [
    "Theme",
    "account_deck",
    "account_section",
    "deck_bytes",
    "deck_theme",
    "portfolio_deck",
    "slide_builder",
    "write_deck",
]
