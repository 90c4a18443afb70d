"""Exception groups at cdpsession's edges: a single error comes out as itself."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import trio


def single_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one real exception in a nursery's group (``Cancelled`` ignored), else None."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        elif not isinstance(exc, trio.Cancelled):
            leaves.append(exc)

    walk(group)
    return leaves[0] if len(leaves) == 1 else None


@contextlib.contextmanager
def unwrap_single() -> Iterator[None]:
    """Re-raise a group holding one real exception as that exception (STYLE.md rule 4)."""
    try:
        yield
    except BaseExceptionGroup as group:
        single = single_exception(group)
        if single is None:
            raise
        raise single from None
