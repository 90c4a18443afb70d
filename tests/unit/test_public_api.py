"""The public surface: an explicit, sorted ``__all__`` and objects users do not construct."""

from __future__ import annotations
import __future__

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

import cdpsession
import cdpsession.testing


def reexported_names(module: Any) -> list[str]:
    """Names a package re-exports as ``from ._x import Y as Y`` (trio's explicit style)."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                assert alias.asname == alias.name, f"re-export {alias.name} as itself"
                names.append(alias.name)
    return names


def test_all_is_sorted_and_unique() -> None:
    assert cdpsession.__all__ == sorted(cdpsession.__all__)
    assert len(set(cdpsession.__all__)) == len(cdpsession.__all__)


def test_all_is_exactly_the_reexports() -> None:
    assert sorted(reexported_names(cdpsession)) == cdpsession.__all__


def test_every_public_name_is_importable() -> None:
    for name in cdpsession.__all__:
        module = importlib.import_module("cdpsession")
        assert getattr(module, name) is getattr(cdpsession, name)
        namespace: dict[str, Any] = {}
        exec(f"from cdpsession import {name}", namespace)
        assert namespace[name] is getattr(cdpsession, name)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(cdpsession).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and not isinstance(value, __future__._Feature)
    }
    assert public == set(cdpsession.__all__)


def test_star_import_gives_all() -> None:
    namespace: dict[str, Any] = {}
    exec("from cdpsession import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == cdpsession.__all__


def test_errors_share_one_root() -> None:
    errors = [
        getattr(cdpsession, name)
        for name in cdpsession.__all__
        if isinstance(getattr(cdpsession, name), type)
        and issubclass(getattr(cdpsession, name), BaseException)
    ]
    assert errors
    for error in errors:
        assert issubclass(error, cdpsession.CDPSessionError)


def test_session_cannot_be_constructed_by_users() -> None:
    session_cls: Any = cdpsession.Session
    with pytest.raises(TypeError, match=r"^Session objects cannot be created directly; "):
        session_cls(object(), None, "persist:x", None, {})
    with pytest.raises(TypeError):
        session_cls()


def test_version_is_a_str() -> None:
    assert isinstance(cdpsession.__version__, str)
    assert "__version__" not in cdpsession.__all__


def test_testing_all() -> None:
    assert cdpsession.testing.__all__ == ["FakeChromium", "ReceivedCommand"]
    assert sorted(reexported_names(cdpsession.testing)) == cdpsession.testing.__all__
    for name in cdpsession.testing.__all__:
        assert getattr(cdpsession.testing, name).__module__ == "cdpsession.testing._fake"
