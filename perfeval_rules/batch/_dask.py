"""An executor for an existing Dask distributed cluster: `perfeval evaluate --executor dask --scheduler ADDRESS`.

Dask is optional (the `dask` extra) and imported only here, only when this executor runs. Each task
is submitted as the picklable work it is; at most `window` tasks are in flight and results are
yielded in task order, so the sink writes byte-identical output to a local run. The workers need
perfeval installed and the input and rule-set files at the same paths (a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ._runner import in_order

CONNECT_TIMEOUT = "10s"


def _client(scheduler: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--executor dask needs Dask distributed, which is not installed",
            hint="pip install 'perfeval-rules[dask]'",
        ) from None
    try:
        return Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None


@dataclass
class DaskExecutor:
    """Runs tasks on the Dask cluster whose scheduler listens at `scheduler` (e.g. tcp://10.0.0.5:8786)."""

    scheduler: str
    window: int = 0  # tasks in flight; 0: four per worker thread of the cluster

    def map(self, work: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """The results of `work` over `tasks`, in task order, computed ahead on the cluster."""
        client = _client(self.scheduler)
        try:
            window = self.window or 4 * max(1, sum(client.nthreads().values()))
            yield from in_order(lambda task: client.submit(work, task, pure=False), tasks, window)
        finally:
            client.close()
