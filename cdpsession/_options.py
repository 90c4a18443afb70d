"""Electron-style option dicts: camelCase keys and their snake_case twins, unknown keys refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_options(
    value: Any, keys: Mapping[str, str], *, arg: str, what: str, required: bool = False
) -> dict[str, Any]:
    """Validate an option dict and return it keyed by the canonical (Electron) names.

    ``keys`` maps every accepted spelling to its canonical name; ``arg`` names the argument
    and ``what`` its keys in messages. ``None`` is an empty dict unless ``required``.

    Raises:
        TypeError: not a dict, an unknown key (named, with the known ones), or one option
            given in both spellings.
    """
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{arg} must be a dict, not {type(value).__name__}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = keys.get(key) if isinstance(key, str) else None
        if name is None:
            known = ", ".join(repr(k) for k in sorted(set(keys.values())))
            raise TypeError(f"unknown {what} {key!r} (known: {known})")
        if name in out:
            raise TypeError(f"{what}: {name!r} is given twice ({key!r} and its other spelling)")
        out[name] = item
    return out
