"""Electron's handler style: ``handler(..., callback)``, or the answer returned (or awaited).

A handler that takes the callback may call it (now or later) or return the answer; one that
takes only the leading arguments answers by its return value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import trio

__all__ = ["Callback", "answer", "takes_callback"]


def takes_callback(fn: Callable[..., Any], leading: int) -> bool:
    """Whether ``fn`` asks for a callback: a required positional parameter after ``leading``.

    Only a parameter without a default counts: ``def listener(details, log=None)``,
    ``*args`` or a builtin such as ``print`` answer by their return value (they would never
    call a callback they did not ask for, and the request would wait forever).
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(required) > leading


class Callback:
    """Electron's ``callback(response)``: the first call counts, later ones are ignored."""

    def __init__(self) -> None:
        self.done = trio.Event()
        self.args: tuple[Any, ...] = ()

    def __call__(self, *args: Any) -> None:
        if not self.done.is_set():
            self.args = args
            self.done.set()


async def answer(
    fn: Callable[..., Any], args: tuple[Any, ...], with_callback: bool
) -> tuple[Any, ...]:
    """Run ``fn(*args[, callback])`` and wait for its answer: the callback's arguments.

    A non-None return value (awaited when it is awaitable) is the answer ``(value,)``; a
    handler without a callback that returns None answers ``()``. A handler that takes the
    callback and returns None is waited for until it calls back. Its exception propagates.
    """
    callback = Callback()
    result = fn(*args, callback) if with_callback else fn(*args)
    if inspect.isawaitable(result):
        result = await result
    if result is not None:
        callback(result)
    elif not with_callback:
        callback()
    await callback.done.wait()
    return callback.args
