"""Aliases as data: the registry file's `aliases` column and an alias file, stored with the registry and used
by the matcher (issue 12: 环城大道 in data/sample is the road 环城路 because data/sample says so, not code)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.address.match import AddressMatcher, MatchLevel
from gridmap.address.registry import AddressAlias, AddressRegistry, StandardAddress
from gridmap.cli import app
from gridmap.errors import InvalidInput
from gridmap.services.address_registry import RegistryMatchers, import_registry
from gridmap.services.geocode import load_registry
from gridmap.store import open_store
from gridmap.store.interface import BoundaryStore

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "addresses.csv"
SAMPLE_ALIASES = REPO / "data" / "sample" / "address_aliases.csv"
HEADER = "id,road,number,compound,building,unit,room,lon,lat,aliases"


@pytest.fixture
def store(migrated_sqlite_url: str) -> Iterator[BoundaryStore]:
    with open_store(migrated_sqlite_url) as opened:
        yield opened


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_aliases_of_each_kind_name_what_they_say() -> None:
    door = StandardAddress("d", 119.5, 27.4, road="环城路", number="3")
    aliases = [AddressAlias("road", "环城路", "环城大道"), AddressAlias("town", "鳌阳镇", "城关镇")]
    matcher = AddressMatcher(AddressRegistry([door], aliases=aliases))
    assert matcher.match("环城大道3号").canonical_address == "环城路3号"
    town = matcher.match("城关镇环城路3号")
    assert town.level is MatchLevel.DOOR and "area 鳌阳镇" in town.used
    with pytest.raises(ValueError, match="not a compound"):
        AddressRegistry([door], aliases=[AddressAlias("compound", "环城路", "环城")])
    lenient = AddressRegistry([door], aliases=[AddressAlias("road", "胜利街", "胜利路")], strict=False)
    assert lenient.skipped_aliases == [AddressAlias("road", "胜利街", "胜利路")] and not lenient.road_aliases


def test_the_sample_aliases_are_data_the_cli_loads(tmp_path: Path) -> None:
    without = AddressMatcher(load_registry(SAMPLE)).match("环城大道1号")
    assert without.level is MatchLevel.NONE  # no alias in code any more
    matched = AddressMatcher(load_registry(SAMPLE, SAMPLE_ALIASES)).match("环城大道1号")
    assert matched.level is MatchLevel.DOOR and matched.registry_id == "door:环城路:1"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(
        app, ["registry", "import", str(SAMPLE), "--aliases", str(SAMPLE_ALIASES), "--store", url]
    )
    assert result.exit_code == 0 and "7 aliases stored" in " ".join(result.output.split()), result.output


def test_import_stores_column_and_file_aliases_and_reports_those_naming_nothing(
    tmp_path: Path, store: BoundaryStore
) -> None:
    registry = write(
        tmp_path / "registry.csv",
        f"{HEADER}\n"
        "door:胜利街:1,胜利街,1,,,,,119.51,27.46,胜利路|胜利大街\n"
        "room:朝阳新村:1:1:101,,,朝阳新村,1,1,101,119.512,27.463,朝阳\n",
    )
    aliases = write(tmp_path / "aliases.csv", "kind,name,alias\ncompound,龙庭国际,龙庭\ntown,鳌阳镇,敖城\n")
    done = import_registry(store, registry, aliases=aliases)
    assert done.aliases == 4 and done.unknown_aliases == ["compound 龙庭国际: 龙庭"]
    assert AddressAlias("road", "胜利街", "胜利大街") in store.address_aliases()
    matcher = RegistryMatchers(store).get()
    assert matcher.match("敖城胜利大街1号").registry_id == "door:胜利街:1"
    assert matcher.match("朝阳1栋1单元101").registry_id == "room:朝阳新村:1:1:101"
    again = import_registry(store, registry)  # the same aliases again: stored already
    assert again.aliases == 0 and len(store.address_aliases()) == 4
    import_registry(store, write(tmp_path / "plain.csv", f"{HEADER}\nd2,胜利街,2,,,,,119.51,27.46,\n"), replace=True)
    assert store.address_aliases() == []
    assert RegistryMatchers(store).get().match("胜利大街2号").level is MatchLevel.NONE  # rebuilt without them


def test_a_bad_alias_file_is_refused_before_anything_is_stored(tmp_path: Path, store: BoundaryStore) -> None:
    registry = write(tmp_path / "registry.csv", f"{HEADER}\nd1,胜利街,1,,,,,119.51,27.46,\n")
    bad = write(tmp_path / "aliases.csv", "kind,name,alias\nstreet,胜利街,胜利路\n")
    with pytest.raises(InvalidInput, match="line 2"):
        import_registry(store, registry, aliases=bad)
    with pytest.raises(InvalidInput, match="lacks the columns"):
        import_registry(store, registry, aliases=write(tmp_path / "other.csv", "name,alias\n胜利街,胜利路\n"))
    assert store.address_revision()[0] == 0
