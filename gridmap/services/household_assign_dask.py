"""Households assigned on a Dask cluster (`gridmap assign --engine dask`): the same answers as the local engine.

The boundary layers (with their cell rasters) and the options go to every worker once. The table is split into
partitions that a worker reads for itself (Parquet row groups, GeoPackage ranges); a CSV, which cannot be entered
mid-file, is read here a chunk at a time and each chunk sent to a worker. The worker that assigns a partition
writes it as `part-NNNNN.parquet` (N: the partition's place in the table), whole or not at all, so a partition
run again after a worker died writes the same file; only its counts come back here. No shuffle: the points never
meet each other, only the boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gridmap.address.match import AddressMatcher
from gridmap.errors import InvalidInput
from gridmap.io.household_tables import (
    TablePartition,
    make_part_folder,
    part_name,
    read_table_chunks,
    table_partitions,
    write_part,
)
from gridmap.services.boundary_layers import BoundaryLayers
from gridmap.services.dask_cluster import RETRIES, worker_count
from gridmap.services.household_assign import (
    AssignOptions,
    AssignSummary,
    assign_chunk,
    check_columns,
    checked_options,
)

if TYPE_CHECKING:
    from distributed import Client, Future

HEAD_ROWS = 100  # rows read here to check the columns before any work is sent
CHUNKS_PER_WORKER = 2  # CSV chunks in flight per worker: enough to keep each busy, few enough to bound memory


@dataclass(frozen=True)
class AssignKernel:
    """What every partition needs, sent to each worker once."""

    layers: BoundaryLayers
    matcher: AddressMatcher | None
    options: AssignOptions


def assign_households_on_cluster(
    source: Path,
    out: Path,
    *,
    client: Client,
    layers: BoundaryLayers,
    matcher: AddressMatcher | None = None,
    options: AssignOptions | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> AssignSummary:
    """Assign every row of `source` on the client's workers into the GeoParquet folder `out` (one part per
    partition); `on_rows(n)` as each partition is done. The workers must see `source` and `out` at these paths."""
    options = checked_options(options)
    source, out = source.resolve(), out.resolve()
    if out.suffix.lower() == ".csv":
        msg = f"{out}: the dask engine writes a folder of GeoParquet parts, one per partition; name a folder"
        raise InvalidInput(msg)
    head = read_table_chunks(source, chunk_rows=min(options.chunk_rows, HEAD_ROWS))
    check_columns(source, next(head, None), options)  # before any output is made
    del head  # closes the file
    make_part_folder(out)
    kernel = client.scatter(AssignKernel(layers, matcher, options), broadcast=True, hash=False)  # type: ignore[no-untyped-call]
    window = CHUNKS_PER_WORKER * max(1, worker_count(client))
    summary = AssignSummary()
    from distributed import as_completed

    running = as_completed()  # type: ignore[no-untyped-call]
    try:
        for number, piece in enumerate(_pieces(source, options.chunk_rows)):
            running.add(  # type: ignore[no-untyped-call]
                client.submit(assign_partition, kernel, piece, out / part_name(number), pure=False, retries=RETRIES)
            )
            while running.count() >= window:  # type: ignore[no-untyped-call]
                _count_in(summary, next(running), on_rows)
        for future in running:
            _count_in(summary, future, on_rows)
    finally:
        kernel.release()
    return summary


def assign_partition(kernel: AssignKernel, piece: TablePartition | pd.DataFrame, path: Path) -> AssignSummary:
    """On a worker: read the partition (or take the chunk sent), assign it, write it to `path`; its counts."""
    frame = piece.read() if isinstance(piece, TablePartition) else piece
    chunk = assign_chunk(frame, layers=kernel.layers, matcher=kernel.matcher, options=kernel.options)
    write_part(chunk.rows, chunk.lon, chunk.lat, path)
    return chunk.summary


def _pieces(source: Path, chunk_rows: int) -> Iterator[TablePartition | pd.DataFrame]:
    """The table's partitions in row order, or a CSV's chunks read here."""
    partitions = table_partitions(source, chunk_rows=chunk_rows)
    if partitions is not None:
        yield from partitions
    else:
        yield from read_table_chunks(source, chunk_rows=chunk_rows)


def _count_in(summary: AssignSummary, future: Future[AssignSummary], on_rows: Callable[[int], None] | None) -> None:
    """Add a finished partition's counts (raising its error, if it failed)."""
    done = future.result()
    summary.add(done)
    if on_rows is not None:
        on_rows(done.rows)
