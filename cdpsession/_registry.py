"""Partition names and where their data lives. Pure functions, no I/O beyond path checks."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ._options import check_options

PERSIST_PREFIX = "persist:"
PARTITIONS_DIR = "Partitions"

# Kept as they are in a folder name; everything else is %XX-escaped byte by byte. Upper case is
# escaped too, so names differing only in case stay apart on case-insensitive file systems, and
# '.' is escaped, so no name can become '.' or '..'.
_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
# Most file systems cap a name at 255 bytes; leave room below that.
_MAX_FOLDER = 120
_HASH_CHARS = 32


def partition_folder_name(name: str) -> str:
    """The folder, inside ``Partitions/``, of the persistent partition ``persist:<name>``.

    Every name maps to exactly one folder name, which is a single path component made of
    ``[a-z0-9_-]`` and ``%XX`` escapes (upper-case hex digits) only, never ``.``/``..``, and
    at most 120 characters (a long name is cut and suffixed with ``~`` and a SHA-256 of the
    whole name).
    """
    escaped = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in name.encode("utf-8"))
    if len(escaped) <= _MAX_FOLDER:
        return escaped
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{escaped[: _MAX_FOLDER - _HASH_CHARS - 1]}~{digest}"


def check_partition(partition: Any) -> str:
    """Validate a partition string (Electron's ``session.fromPartition`` argument).

    Raises:
        TypeError: not a str.
        ValueError: contains NUL, or is ``persist:`` with an empty name.
    """
    if not isinstance(partition, str):
        raise TypeError(f"partition must be a str, not {type(partition).__name__}")
    if "\0" in partition:
        raise ValueError("partition must not contain NUL characters")
    if partition == PERSIST_PREFIX:
        raise ValueError("partition 'persist:' needs a name after the prefix")
    try:
        partition.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"partition is not valid unicode text: {exc}") from None
    return partition


def is_persistent_partition(partition: str) -> bool:
    """True for ``''`` (the default session) and ``persist:NAME``."""
    return partition == "" or partition.startswith(PERSIST_PREFIX)


def partition_path(user_data_dir: str, partition: str) -> str | None:
    """The on-disk profile of a partition, or None for an in-memory one."""
    if partition == "":
        return user_data_dir
    if partition.startswith(PERSIST_PREFIX):
        name = partition[len(PERSIST_PREFIX) :]
        if not name:
            raise ValueError("partition 'persist:' needs a name after the prefix")
        folder = partition_folder_name(name)
        path = os.path.join(user_data_dir, PARTITIONS_DIR, folder)
        # Belt and braces: the escaping above cannot leave the folder, and this proves it.
        parent = os.path.join(user_data_dir, PARTITIONS_DIR)
        if os.path.dirname(path) != parent:
            raise ValueError(f"partition {partition!r} would leave {parent!r}")
        return path
    return None


def check_from_path(path: Any) -> str:
    """Validate ``session.fromPath``'s argument; return it normalised.

    Raises:
        TypeError: Electron's messages: empty, or not absolute (or not a str/path).
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if path == "":
        raise TypeError("An empty path was specified")
    if "\0" in path:
        raise ValueError("path must not contain NUL characters")
    if not os.path.isabs(path):
        raise TypeError("An absolute path was not provided")
    return os.path.normpath(path)


SESSION_OPTION_KEYS = {"cache": "cache"}


def check_session_options(options: Any) -> dict[str, Any]:
    """Validate ``fromPartition``/``fromPath`` options (Electron: ``{cache: bool}``).

    Raises:
        TypeError: not a dict, an unknown key, or a value of the wrong type.
    """
    out = check_options(options, SESSION_OPTION_KEYS, arg="options", what="session option")
    for key, value in out.items():
        if not isinstance(value, bool):
            raise TypeError(f"option {key!r} must be a bool, not {type(value).__name__}")
    return out
