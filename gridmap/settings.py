"""Settings from the environment (GRIDMAP_ prefix); built by create_app() or the CLI, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    basemap: Literal["none", "custom", "tianditu", "amap", "local"] = Field(
        default="custom",
        description="Base map: custom (tiles_url; none when empty), tianditu (needs tianditu_key), amap (GCJ-02 "
        "tiles: the pages shift the grids to match), local (basemap_path served at /tiles/), or none",
    )
    tianditu_key: str = Field(default="", description="The city's Tianditu (天地图) browser key, for basemap=tianditu")
    basemap_path: Path | None = Field(
        default=None,
        description="For basemap=local: an MBTiles file, or a folder of {z}/{x}/{y}.png tiles, served at "
        "/tiles/{z}/{x}/{y}.png (tiles in tiles_datum)",
    )
    sample_dir: Path = Field(
        default=Path("data"),
        description="Folder whose sample/ holds the life-circle streets and facilities used when "
        "lifecircle_network and lifecircle_facilities are not set (the demo's data folder)",
    )
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
    session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 30,
        description="Hours a sign-in with a password lasts (the browser's session cookie and its row in the store)",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark session cookies Secure even on plain HTTP: set it behind a proxy that terminates TLS "
        "(on HTTPS they are Secure anyway)",
    )
    incident_number_prefix: str = Field(
        default="SN",
        pattern=r"^[A-Z]{1,8}$",
        description="The county's prefix of short incident numbers (SN-20261127-0042): 1-8 capital letters",
    )
    time_limits: Path | None = Field(
        default=None,
        description="TOML file of the incident time limits per category and stage, working hours and declared "
        "calendar years (docs/incidents.md); unset: the shipped gridmap/incidents/time_limits.toml",
    )
    categories_file: Path | None = Field(
        default=None,
        description="TOML or JSON file of the incident categories: names, private, after_photo, check_required "
        '(docs/incidents.md); with `extends = "default"` it changes the shipped categories; unset: the shipped ones',
    )
    due_soon_hours: float = Field(
        default=4.0, gt=0, description="Incidents due within this many working hours are flagged due_soon"
    )
    duplicate_distance_m: float = Field(
        default=50.0,
        gt=0,
        le=5000,
        description="Duplicate candidates: open incidents of a report's category within this many metres of it",
    )
    duplicate_days: float = Field(
        default=7.0, gt=0, le=365, description="Duplicate candidates: reported at most this many days before the report"
    )
    duplicate_min_similarity: float = Field(
        default=50.0,
        ge=0,
        le=100,
        description="Duplicate candidates: texts at least this alike, 0-100 (rapidfuzz weighted ratio)",
    )
    review_below: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Geocoded addresses matched with a confidence below this go to the review queue "
        "(status needs_review, with their top candidates)",
    )


# Passwords that installers and tutorials use: a production database must not accept them.
WELL_KNOWN_PASSWORDS = frozenset({"postgres", "password", "gridmap", "changeme", "secret", "admin", "123456", "root"})
# Below these, public incident answers could place a person: refused on a production (PostgreSQL) store.
SAFE_PUBLIC_LOCATION_M = 20.0
SAFE_PUBLIC_MIN_GROUP = 3


def unsafe_reasons(settings: Settings) -> list[str]:
    """Why these settings must not run a server (empty when they are safe); production means PostgreSQL."""
    import ipaddress

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    reasons: list[str] = []
    for proxy in settings.trusted_proxies:
        try:
            network = ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            reasons.append(f"GRIDMAP_TRUSTED_PROXIES: {proxy!r} is not an address or a network")
            continue
        if network.prefixlen == 0:
            reasons.append(
                f"GRIDMAP_TRUSTED_PROXIES trusts {proxy} (every address): anyone could forge X-Forwarded-For "
                "and escape the rate limits; list your reverse proxies only"
            )
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return reasons  # opening the store names the bad URL
    if url.get_backend_name() != "postgresql":
        return reasons
    if url.password is not None and str(url.password) in WELL_KNOWN_PASSWORDS:
        reasons.append("GRIDMAP_DATABASE_URL uses a well-known password for a production database; set a strong one")
    if settings.public_location_m < SAFE_PUBLIC_LOCATION_M:
        reasons.append(
            f"GRIDMAP_PUBLIC_LOCATION_M is {settings.public_location_m:g} m: public incident places finer than "
            f"{SAFE_PUBLIC_LOCATION_M:g} m can point at a reporter's door"
        )
    if settings.public_min_group < SAFE_PUBLIC_MIN_GROUP:
        reasons.append(
            f"GRIDMAP_PUBLIC_MIN_GROUP is {settings.public_min_group}: public map cells of fewer than "
            f"{SAFE_PUBLIC_MIN_GROUP} incidents can single out a reporter"
        )
    return reasons


def refuse_unsafe(settings: Settings) -> None:
    """Raise InvalidInput listing every unsafe setting (see `unsafe_reasons`); the server does not start."""
    from gridmap.errors import InvalidInput

    reasons = unsafe_reasons(settings)
    if reasons:
        msg = "refusing to start with unsafe settings: " + "; ".join(reasons)
        raise InvalidInput(msg)


SECRET_WORDS = ("password", "secret", "token", "key")


def shown_value(name: str, value: object) -> str:
    """A setting's value as `gridmap config show` prints it: database passwords and secrets masked."""
    if value is None:
        return ""
    if any(word in name for word in SECRET_WORDS) and value:
        return "********"
    if name == "database_url":
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(str(value)).render_as_string(hide_password=True)
        except ArgumentError:
            return str(value)
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def settings_reference() -> str:
    """The Markdown table of every setting: its environment variable, default and meaning (for the README)."""
    rows = ["| environment variable | default | what it sets |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = shown_value(name, default) or "(empty)"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `GRIDMAP_{name.upper()}` | `{shown}` | {description} |")
    return "\n".join(rows)
