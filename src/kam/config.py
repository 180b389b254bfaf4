"""Settings: one pydantic class, read from ``KAM_*`` environment variables.

Every limit of ``docs/limits.md`` is a setting with a safe default.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Limits", "Settings", "get_settings"]

MiB = 1024 * 1024


class Limits(BaseSettings):
    """Input limits (design.md §6). Environment: ``KAM_LIMIT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KAM_LIMIT_", extra="ignore")

    upload_bytes: int = Field(20 * MiB, description="largest upload through the web")
    file_bytes: int = Field(200 * MiB, description="largest workbook file read")
    unzipped_bytes: int = Field(200 * MiB, description="total uncompressed size")
    entry_bytes: int = Field(
        100 * MiB, description="uncompressed size of one zip entry"
    )
    zip_entries: int = Field(1000, description="entries in one workbook zip")
    zip_ratio: float = Field(100.0, description="compression ratio on entries > 1 MiB")
    rows_cli: int = Field(1_000_000, description="rows per sheet through the CLI")
    rows_web: int = Field(100_000, description="rows per sheet through the web")
    columns: int = Field(200, description="columns per sheet")
    cell_chars: int = Field(32_767, description="characters in one cell")
    parser_memory_bytes: int = Field(
        1024 * MiB, description="address space of the parser"
    )
    parser_seconds: float = Field(60.0, description="time limit of the parser")
    csv_field_bytes: int = Field(128 * 1024, description="longest CSV field")


class Settings(BaseSettings):
    """Workspace settings. Environment: ``KAM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KAM_", extra="ignore")

    database_url: str = Field("sqlite:///kam.db", description="the store")
    snapshot_dir: Path | None = Field(
        None, description="where SQLite snapshots go (default: <db>.snapshots/)"
    )
    snapshots_keep: int = Field(20, description="snapshots kept before the oldest go")
    currency: str = Field("USD", description="reporting currency (ISO 4217)")
    fiscal_year_start: int = Field(1, ge=1, le=12, description="first month of the FY")
    limits: Limits = Field(default_factory=Limits)
    deck_font: str = Field("Calibri", description="font of the slide decks")
    deck_colours: str = Field(
        "", description="deck colours, comma-separated hex (see docs/deck.md)"
    )
    deck_logo: Path | None = Field(None, description="logo image on every slide")
    duckdb_memory: str = Field(
        "3GB",
        pattern=r"^(|\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB))$",
        description="memory the engine's DuckDB may use before it spills to disk "
        "(blank: DuckDB's own default, 80 % of the machine's memory)",
    )
    result_cache_size: int = Field(
        256,
        ge=1,
        description="analysis results an engine keeps per process (least recently "
        "used out); a page of 20 account plans with their 4 tools needs about 80",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once from the environment)."""
    return Settings()
