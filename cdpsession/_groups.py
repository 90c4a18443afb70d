"""Exception groups at cdpsession's edges: a single error comes out as itself."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import trio

from ._errors import BrowserClosedError


def single_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one real exception a nursery's group holds (``Cancelled`` ignored), else None.

    Several :class:`BrowserClosedError` are one fact (the browser went away under tasks
    working side by side): the first stands for them. Only the nursery's own level is
    opened: a group the user raised comes out intact.
    """
    real = [exc for exc in group.exceptions if not isinstance(exc, trio.Cancelled)]
    if len(real) > 1 and all(isinstance(exc, BrowserClosedError) for exc in real):
        return real[0]
    return real[0] if len(real) == 1 else None


def leaves_of(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions in ``exc``, nested groups flattened (``exc`` itself if no group)."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves_of(inner)
    else:
        yield exc


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


async def cancellation_first() -> None:
    """Raise ``Cancelled`` when the caller's scope was cancelled during shielded work.

    Call it before re-raising an error of shielded work: that work can fail because the
    browser is closing for the very reason the caller gave up (the app ending), and then
    the cancellation, not the browser's going, is the news.
    """
    await trio.lowlevel.checkpoint_if_cancelled()
