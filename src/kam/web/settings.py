"""Settings of the web workspace. Environment: ``KAM_WEB_<NAME>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WebSettings"]


class WebSettings(BaseSettings):
    """Session lifetimes and sign-in limits."""

    model_config = SettingsConfigDict(env_prefix="KAM_WEB_", extra="ignore")

    idle_minutes: int = Field(30, ge=1, description="session ends after this idle")
    absolute_hours: int = Field(12, ge=1, description="session ends this long after")
    address_failures: int = Field(
        20, ge=1, description="failed sign-ins per address before it is refused"
    )
    address_window_minutes: int = Field(
        15, ge=1, description="window of the per-address sign-in limit"
    )
    max_form_fields: int = Field(50, ge=1, description="fields in one posted form")
    upload_dir: Path | None = Field(
        None, description="where uploads wait for confirmation (default: temp dir)"
    )
