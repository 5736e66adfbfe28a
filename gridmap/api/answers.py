"""What the API answers, as pydantic models: the OpenAPI document's response schemas, checked on the way out.

Models allow members they do not name (`extra="allow"`), so a member added to an answer is served before it is
documented here, but every member named here must be there with its type. Deep reports whose shape belongs to
another module (the check report, a diff) are typed as objects.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """Base of the answer models."""

    model_config = ConfigDict(extra="allow")


class Link(Answer):
    """A web link (OGC API style)."""

    rel: str
    type: str | None = None
    title: str | None = None
    href: str


class Landing(Answer):
    """The landing page."""

    title: str
    description: str
    version: str
    links: list[Link]


class Conformance(Answer):
    """The conformance classes."""

    conformsTo: list[str]  # noqa: N815 - OGC API member name


class TileLayer(Answer):
    """One tile layer of the base map: URL template, subdomains ({s}) and attribution."""

    url: str
    subdomains: str
    attribution: str


class Tiles(Answer):
    """The base map: its tile layers, bottom first (none configured: empty), the first's URL and attribution
    (empty: no base map), the tiles' datum and the deepest zoom they exist at."""

    url: str
    attribution: str
    datum: str
    max_native_zoom: int
    layers: list[TileLayer]


class ViewerConfig(Answer):
    """What the viewer starts from."""

    tiles: Tiles
    output_crs: str
    public_read: bool


class SpatialExtent(Answer):
    """Where a collection's features are (OGC API - Features `extent.spatial`)."""

    bbox: list[list[float]]  # one box: west, south, east, north (WGS-84)
    crs: str


class Extent(Answer):
    """A collection's extent (OGC API - Features)."""

    spatial: SpatialExtent


class Collection(Answer):
    """One collection (OGC API - Features)."""

    id: str
    title: str
    description: str
    itemType: str  # noqa: N815 - OGC API member name
    level: str | None
    crs: list[str]
    links: list[Link]
    extent: Extent | None = None  # GET /collections/{id}?version=N: where that version's features are (null: none)
    numberMatched: int | None = None  # noqa: N815 - OGC API member name; with version=N: how many features it has


class Collections(Answer):
    """The collections."""

    collections: list[Collection]
    links: list[Link]


class Geometry(Answer):
    """A GeoJSON geometry."""

    type: Literal[
        "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"
    ]
    coordinates: list[Any] | None = None
    geometries: list[dict[str, Any]] | None = None


class Feature(Answer):
    """A GeoJSON Feature."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(Answer):
    """A GeoJSON FeatureCollection, with the members a collection's page or a layer adds."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    links: list[Link] | None = None
    numberMatched: int | None = Field(default=None, ge=0)  # noqa: N815 - OGC API member name
    numberReturned: int | None = Field(default=None, ge=0)  # noqa: N815 - OGC API member name
    version: dict[str, Any] | None = None
    crs: str | None = None


class FeatureSummary(Answer):
    """A boundary feature named in a lookup: id, code, name, level and parent."""

    id: str
    code: str
    name: str | None
    level: str | None
    parent: str | None


class Nearest(Answer):
    """The nearest grid to a point outside every feature."""

    feature: FeatureSummary
    distance_m: float


class Point(Answer):
    """A point in degrees."""

    lon: float
    lat: float


class LocateQuery(Point):
    """The point as asked, in its datum."""

    crs: str


class Location(Answer):
    """Where a point falls."""

    query: LocateQuery
    wgs84: Point
    version: int
    covered: bool
    community: FeatureSummary | None
    grid: FeatureSummary | None
    microgrid: FeatureSummary | None
    chain: list[FeatureSummary]
    nearest: Nearest | None
    rule: str


class AddressMatch(Answer):
    """How an address text matched the registry."""

    level: str
    confidence: float
    reason: str | None
    message: str | None
    candidates: list[Any]
    address: str | None
    id: str | None
    used: list[str] = Field(description="The parts of the text the answer rests on (road 胜利街, number 12)")
    ignored: list[str] = Field(description="The parts of the text left out, each with why (车库: not a dwelling)")


class AreaName(Answer):
    """An area's code and name."""

    code: str
    name: str | None


class NearestArea(AreaName):
    """The nearest grid and its distance."""

    distance_m: float


class GeocodeLocation(Answer):
    """The areas holding a geocoded point."""

    version: int
    covered: bool
    community: AreaName | None
    grid: AreaName | None
    microgrid: AreaName | None
    nearest: NearestArea | None


class AliasProposalAnswer(Answer):
    """The alias that makes the written road or compound match a candidate next time."""

    kind: Literal["road", "compound"]
    name: str = Field(description="The registry's name")
    alias: str = Field(description="The name as written")


class GeocodeCandidate(Answer):
    """A registry entry an unsure address may mean, for a person to choose from."""

    address: str | None
    id: str | None
    level: str
    confidence: float
    reason: str
    wgs84: Point | None
    alias: AliasProposalAnswer | None


class Geocoded(Answer):
    """One geocoded address."""

    query: str
    match: AddressMatch
    wgs84: Point | None
    location: GeocodeLocation | None
    status: Literal["matched", "needs_review", "unmatched"] = Field(
        description="matched: sure enough to use; needs_review: below GRIDMAP_REVIEW_BELOW, see candidates; "
        "unmatched: nothing in the registry to choose from"
    )
    candidates: list[GeocodeCandidate] | None = Field(
        default=None, description="With ?candidates=N: up to N places the address may mean, most likely first"
    )


class ReviewedAddress(Answer):
    """One address of a review batch: its answer, status and candidates."""

    query: str
    match: AddressMatch
    status: Literal["matched", "needs_review", "unmatched"]
    wgs84: Point | None
    candidates: list[GeocodeCandidate]


class ReviewBatch(Answer):
    """The answers of a review batch, in the order of the addresses sent."""

    review_below: float
    results: list[ReviewedAddress]


class StoredAlias(Answer):
    """An alias picked in the review queue."""

    kind: str
    name: str
    alias: str
    stored: bool = Field(description="False when this alias was stored already")


class BoundarySet(Answer):
    """A boundary set."""

    name: str
    created_at: str | None
    published_version: int | None
    links: list[Link]


class BoundarySets(Answer):
    """Every boundary set."""

    boundary_sets: list[BoundarySet]


class Version(Answer):
    """A boundary version's metadata and links."""

    id: int
    set: str
    status: Literal["draft", "published", "retired"]
    feature_count: int
    created_by: str | None
    created_at: str | None
    reason: str | None
    published_by: str | None
    published_at: str | None
    publish_reason: str | None
    retired_at: str | None
    links: list[Link]


class UploadedVersion(Version):
    """A new draft and the problems found while reading its files."""

    read_problems: list[dict[str, Any]]


class Versions(Answer):
    """The versions of a set."""

    boundary_set: str
    versions: list[Version]


class CheckReport(Answer):
    """A version's check report (gridmap.geo.coverage): ok, summary and problems."""

    version: int
    ok: bool
    summary: dict[str, Any]
    problems: list[dict[str, Any]]


class GridMove(Answer):
    """Households moving from one grid to another."""

    from_: str | None = Field(alias="from")
    to: str | None
    count: int


class HouseholdImpact(Answer):
    """Households that would change grid (ids for planners only)."""

    moved: int
    pairs: list[GridMove]
    households: list[dict[str, Any]] | None = None


class VersionDiff(Answer):
    """What changed between two versions."""

    households: HouseholdImpact


class HouseholdCounts(Answer):
    """Households, people and care flags in one area."""

    code: str
    households: int
    people: int
    elderly_alone: int
    disabled: int
    left_behind_children: int


class GridHouseholdCounts(HouseholdCounts):
    """The counts of one area of a version."""

    version_id: int


class LevelHouseholdCounts(Answer):
    """The counts of every area of a level."""

    version_id: int
    level: str
    counts: list[HouseholdCounts]


class Household(Answer):
    """A household of the register with its codes (personal data: restricted)."""

    household_id: str
    address: str
    lon: float | None
    lat: float | None
    people: int
    community_code: str | None
    grid_code: str | None
    microgrid_code: str | None


class GridHouseholds(Answer):
    """The households of one area."""

    code: str
    version_id: int
    count: int
    households: list[Household]


class GeocodeJob(Answer):
    """A batch geocoding job's status and summary counts."""

    id: str
    status: str
    filename: str
    created_at: str
    finished_at: str | None
    rows_done: int
    summary: dict[str, Any] | None
    error: str | None


class LifecircleCoverage(Answer):
    """Life-circle coverage per facility type and completeness per level."""

    speed: float
    level: str
    version: dict[str, Any] | None
    sources: dict[str, Any]
    unlocated_households: int
    types: dict[str, dict[str, Any]]
    areas: list[dict[str, Any]]


class ProposedSite(Answer):
    """A proposed facility site and what it adds."""

    rank: int
    lon: float
    lat: float
    gain: float


class SiteProposal(Answer):
    """New facility sites and the coverage they add."""

    type: str
    minutes: int
    speed: float
    unit: Literal["households", "people"]
    sites: list[ProposedSite]
    gain: float
    covered_before: float
    total: float
    share_before: float
    share_after: float
    method: str
    optimal: bool
    version: dict[str, Any] | None
    sources: dict[str, Any]


def binary_answer(*media_types: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a 200 whose body is a file of one of these media types."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {m: {"schema": schema} for m in media_types}}}


class ReferenceLayerDescription(Answer):
    """A reference layer (streets, river, buildings): how to draw it and where it is."""

    name: str
    title: str
    kind: Literal["point", "line", "polygon"]
    style: dict[str, str | float]
    feature_count: int = Field(ge=0)
    bbox: list[float] | None  # WGS-84 west, south, east, north; null for an empty layer
    labelled: bool
    revision: int = Field(ge=1)


class ReferenceLayerList(Answer):
    """The reference layers, in import order."""

    layers: list[ReferenceLayerDescription]


class ReferenceLayerMap(ReferenceLayerDescription):
    """A reference layer's features (each with its `label` when the layer has labels) as a FeatureCollection."""

    type: Literal["FeatureCollection"]
    crs: str
    features: list[Feature]


def geojson_answer(model: type[Answer], description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a 200 served as application/geo+json (the route's response_class) by `model`."""
    return {200: {"model": model, "description": description}}
