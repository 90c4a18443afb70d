"""The one hand-written piece of the CDP bindings: a command and its result type."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

R = TypeVar("R")


class Command(Generic[R]):
    """A CDP command ready to send: its method name and wire-format params.

    The type parameter is the ``TypedDict`` of the command's result, so
    ``await conn.send(page.navigate(url=...))`` is typed as ``NavigateResult``.
    """

    __slots__ = ("method", "params")

    def __init__(self, method: str, params: dict[str, Any]) -> None:
        self.method = method
        self.params = params

    def __repr__(self) -> str:
        return f"Command({self.method!r}, {self.params!r})"
