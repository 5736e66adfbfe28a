"""The Dask engine (`--engine dask`, the optional extra `gridmap[dask]`): a client of a running scheduler, or of
a cluster of worker processes on this machine started and closed here, and pieces of one job mapped over it.

Work goes to the workers as small descriptions (a partition of a table, a block of parents) beside an input every
piece shares (the boundaries), which is sent to each worker once. Every machine running a worker needs gridmap
installed at the same version and the input and output paths at the same place (a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from gridmap.errors import InvalidInput
from gridmap.services.parallel import usable_cores

if TYPE_CHECKING:
    from distributed import Client

Shared = TypeVar("Shared")
Piece = TypeVar("Piece")
Result = TypeVar("Result")

CONNECT_TIMEOUT = "20s"  # a scheduler that does not answer by then is reported, not waited for
RETRIES = 2  # a piece whose worker died is run again (elsewhere) up to this many times


@contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler` (tcp://HOST:8786), or else of a cluster of `workers` processes
    (default: this machine's cores) with one thread each, started now and closed on leaving."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        msg = "the dask engine needs the optional extra: pip install 'gridmap[dask]'"
        raise InvalidInput(msg) from None
    if scheduler is not None and workers is not None:
        msg = "give either a scheduler to connect to or a number of workers to start, not both"
        raise InvalidInput(msg)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as err:  # unreachable (OSError) or not an address (ValueError)
            msg = f"could not connect to the Dask scheduler at {scheduler}: {err}"
            raise InvalidInput(msg) from None
        with client:
            yield client
        return
    count = workers or usable_cores()
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def worker_count(client: Client) -> int:
    """How many workers the client's scheduler has now."""
    return len(client.scheduler_info(n_workers=-1)["workers"])


class DaskPieces:
    """Maps `function(shared, piece)` over pieces on a cluster's workers, `shared` sent once to every worker;
    the results in the pieces' order (the `map_pieces` contract of gridmap.services.parallel)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(
        self, function: Callable[[Shared, Piece], Result], shared: Shared, pieces: Sequence[Piece]
    ) -> list[Result]:
        """Every piece's result, in order; a piece's exception is raised here."""
        if not pieces:
            return []
        everywhere = self.client.scatter(shared, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        try:
            futures = [self.client.submit(function, everywhere, piece, pure=False, retries=RETRIES) for piece in pieces]
            return list(self.client.gather(futures))  # type: ignore[no-untyped-call]
        finally:
            everywhere.release()
