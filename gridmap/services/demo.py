"""The demo, loaded on request only: the sample region, its address registry, households, incidents, and the
streets and river drawn under the grids.

Nothing loads it by itself: a server pointed at an empty production database stays empty. `gridmap demo
load` (which scripts/serve.sh runs for the embedded SQLite demo store) imports the files under a data folder
(`data/` in the repository) through the same services an operator uses for real data, into a store that
holds no data yet unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import Conflict, NotFound
from gridmap.io.incidents import read_incidents
from gridmap.services.address_registry import RegistryImport, RegistryMatchers, import_registry
from gridmap.services.boundaries import import_boundaries, publish_version
from gridmap.services.household_import import HouseholdsImported, import_households
from gridmap.services.reference_layers import import_reference_layer
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.interface import BoundaryStore
from gridmap.store.reference_store import Style
from gridmap.store.version_store import VersionInfo

REGION_FILE = Path("boundaries") / "shouning_aoyang.geojson"
REGISTRY_FILE = Path("sample") / "addresses.csv"
ALIASES_FILE = Path("sample") / "address_aliases.csv"  # everyday names of the registry's roads and compounds
HOUSEHOLDS_FILE = Path("sample") / "households.csv"
INCIDENTS_FILE = Path("sample") / "incidents.geojson"
STREETS_FILE = Path("sample") / "streets.geojson"
RIVER_FILE = Path("sample") / "river.geojson"
# The sample's reference layers: (file, name, title, style), drawn under the grids to orient by.
REFERENCE_LAYERS: tuple[tuple[Path, str, str, Style], ...] = (
    (STREETS_FILE, "streets", "道路 / Streets", {"color": "#868e96", "weight": 2.5, "opacity": 0.9}),
    (
        RIVER_FILE,
        "river",
        "河流 / River",
        {"color": "#4dabf7", "weight": 2.0, "fillColor": "#a5d8ff", "fillOpacity": 0.7},
    ),
)
DEMO_FILES = (REGION_FILE, REGISTRY_FILE, ALIASES_FILE, HOUSEHOLDS_FILE, INCIDENTS_FILE, STREETS_FILE, RIVER_FILE)
DEMO_AUTHOR = "gridmap demo"


@dataclass(frozen=True)
class DemoLoaded:
    """What the demo put into a store."""

    version: VersionInfo  # the published sample region
    addresses: RegistryImport
    households: HouseholdsImported
    incidents: int
    reference_layers: list[str]  # their names


def store_holdings(store: BoundaryStore) -> list[str]:
    """What the store holds that the demo would mix with, in words ("3 boundary sets", ...); empty when nothing."""
    counts = {
        "boundary sets": len(store.list_sets()),
        "households": store.household_revision()[0],
        "incidents": store.list_incidents(IncidentFilter(), limit=1).matched,
        "address registry entries": store.address_revision()[0],
        "reference layers": len(store.list_reference_layers()),
    }
    return [f"{count:,} {what}" for what, count in counts.items() if count]


def load_demo_region(store: BoundaryStore, data_dir: Path) -> VersionInfo:
    """Import the sample region from `data_dir` and publish it (after the full check, as any import)."""
    path = _demo_file(data_dir, REGION_FILE)
    draft = import_boundaries(store, [path], who=DEMO_AUTHOR, why=f"demo: sample region from {path.name}")
    return publish_version(store, draft.version.id, who=DEMO_AUTHOR, why="demo: sample region")


def load_demo(store: BoundaryStore, data_dir: Path, *, force: bool = False) -> DemoLoaded:
    """Load the whole demo from `data_dir`: registry, region (published), households placed in it, incidents.

    Conflict naming what the store holds when it is not empty, unless `force` (the demo's registry then
    replaces the stored one; a household or incident id taken already is still a Conflict).
    """
    for relative in DEMO_FILES:
        _demo_file(data_dir, relative)  # every file there before anything is stored
    held = store_holdings(store)
    if held and not force:
        msg = f"the store holds {', '.join(held)}: the demo loads into an empty store (--force loads it anyway)"
        raise Conflict(msg)
    addresses = import_registry(store, data_dir / REGISTRY_FILE, replace=True, aliases=data_dir / ALIASES_FILE)
    version = load_demo_region(store, data_dir)
    households = import_households(store, data_dir / HOUSEHOLDS_FILE, matcher=RegistryMatchers(store).get())
    incidents = store.import_incidents(read_incidents(data_dir / INCIDENTS_FILE))
    layers = [
        import_reference_layer(
            store=store, path=data_dir / path, name=name, title=title, label_field="name", style=style
        ).layer.name
        for path, name, title, style in REFERENCE_LAYERS
    ]
    return DemoLoaded(
        version=version, addresses=addresses, households=households, incidents=incidents, reference_layers=layers
    )


def _demo_file(data_dir: Path, relative: Path) -> Path:
    path = data_dir / relative
    if not path.is_file():
        msg = f"{path}: a demo file is missing (give --data the folder holding boundaries/ and sample/)"
        raise NotFound(msg)
    return path
