"""Settings from the environment (GRIDMAP_ prefix); built by create_app() or the CLI, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may configure, with defaults that work on a laptop with no set-up."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///gridmap.db",
        description="SQLAlchemy URL: sqlite:///FILE (embedded default) or postgresql+psycopg://... (PostGIS)",
    )
    public_read: bool = Field(default=True, description="Anyone may read published boundaries without a token")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, description="Largest accepted upload")
    tiles_url: str = Field(default="", description="Base-map tile URL template; empty means no base map")
    tiles_attribution: str = Field(default="", description="Attribution shown for the base map")
    tiles_datum: str = Field(default="wgs84", description="Datum of the base-map tiles: wgs84 or gcj02")
    sample_dir: Path = Field(default=Path("data"), description="Folder holding the sample region")
    lifecircle_facilities: Path | None = Field(
        default=None,
        description="Life-circle facilities (GeoJSON points with `type`); default: sample/facilities.geojson in "
        "sample_dir",
    )
    lifecircle_network: Path | None = Field(
        default=None,
        description="Walkable lines for life circles (GeoJSON or OpenStreetMap); default: sample/streets.geojson in "
        "sample_dir",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description='Reverse proxies (addresses or networks, e.g. ["127.0.0.1", "10.0.0.0/8"]) whose '
        "X-Forwarded-For names the client for rate limits; empty: the peer address is the client",
    )
    jobs_dir: Path | None = Field(
        default=None,
        description="Folder for background jobs' files (uploads, results); default: `jobs` beside the SQLite file, "
        "or in the working directory with PostGIS",
    )
    report_burst: int = Field(default=5, ge=1, description="Public incident reports one client may send at once")
    reports_per_hour: float = Field(
        default=30.0, gt=0, description="Public incident reports one client may send per hour on average"
    )
    expensive_burst: int = Field(
        default=20, ge=1, description="Costly requests (life-circle analyses) a client without a token may send at once"
    )
    expensive_per_hour: float = Field(
        default=600.0, gt=0, description="Costly requests one client without a token may send per hour on average"
    )
    max_report_bytes: int = Field(
        default=3 * 8 * 1024 * 1024 + 256 * 1024,
        ge=1,
        description="Largest incident report with photos (multipart body): three 8 MiB photos and the form",
    )
    public_location_m: float = Field(
        default=50.0,
        gt=0,
        le=100_000,
        description="Public answers place an incident at the centre of its cell in a grid of this many metres",
    )
    public_min_group: int = Field(
        default=5, ge=1, description="Public map cells and area counts never show fewer incidents than this (k)"
    )
    retention_days: int = Field(
        default=180,
        ge=0,
        description="Days after closing that an incident's contact details and photos are kept before the purge",
    )
    retention_days_by_category: dict[str, int] = Field(
        default_factory=dict,
        description='Retention days per incident category, overriding retention_days (JSON: {"neighbour_dispute": 90})',
    )
    purge_interval_s: float = Field(
        default=6 * 3600.0,
        ge=0,
        description="Seconds between the server's retention purges (the first at start-up); 0 turns the timer off",
    )
