"""Index directories: atomic saves, memory-mapped loads, clear errors for foreign or damaged ones.

Layout: ``DIR/manifest.json`` names the index kind, its format version, its settings and a data
folder ``DIR/data-<token>/`` holding one ``.npy`` file per array (with each array's dtype, shape
and CRC-32 recorded in the manifest). A save writes a new data folder, then replaces the
manifest with one rename over it (atomic on POSIX and Windows), then removes the old folder: a
crash at any point leaves either the old index or the new one, whole.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import RankValueError
from rank_retrieve.__about__ import __version__

__all__ = ["IndexDirectoryError", "load_index_directory", "save_index_directory"]

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class IndexDirectoryError(RankValueError):
    """A directory that is not, or is no longer, a readable rank-retrieve index."""


def _crc32(path: Path) -> int:
    checksum = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            checksum = zlib.crc32(chunk, checksum)
    return checksum


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexDirectoryError(f"{path} is not a readable index manifest ({exc}); the index is damaged") from exc
    if not isinstance(manifest, dict) or not str(manifest.get("format", "")).startswith("rank-retrieve."):
        raise IndexDirectoryError(f"{directory} holds a manifest.json that is not a rank-retrieve index's")
    return manifest


def save_index_directory(
    directory: str | os.PathLike[str], kind: str, settings: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]
) -> Path:
    """Write an index atomically; refuses a non-empty directory that is not a rank-retrieve index."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise RankValueError(f"cannot save an index to {root}: it exists and is not a directory")
    old_manifest = _read_manifest(root) if root.is_dir() else None
    if root.is_dir() and old_manifest is None and any(root.iterdir()):
        raise RankValueError(
            f"cannot save an index to {root}: the directory is not empty and holds no rank-retrieve index "
            "(choose a new or empty directory; nothing there was changed)"
        )
    root.mkdir(parents=True, exist_ok=True)
    data_name = f"data-{secrets.token_hex(6)}"
    staging = root / f".{data_name}.partial"
    staging.mkdir()
    published = root / data_name
    pending = root / f".{MANIFEST}.{data_name}.partial"
    try:
        entries = {}
        for name, array in arrays.items():
            path = staging / f"{name}.npy"
            np.save(path, np.ascontiguousarray(array), allow_pickle=False)
            _fsync(path)
            entries[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "crc32": _crc32(path)}
        staging.rename(published)
        manifest = {
            "format": f"rank-retrieve.{kind}",
            "format_version": FORMAT_VERSION,
            "written_by": f"rank-retrieve {__version__}",
            "data": data_name,
            "settings": dict(settings),
            "arrays": entries,
        }
        pending.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _fsync(pending)
        pending.replace(root / MANIFEST)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(published, ignore_errors=True)
        pending.unlink(missing_ok=True)
        raise
    # the old data folder, and any folder a crashed earlier save left behind (data the manifest
    # does not name is never read; files a live memory map still uses stay alive on POSIX)
    for leftover in [*root.glob("data-*"), *root.glob(".data-*.partial"), *root.glob(f".{MANIFEST}.*.partial")]:
        if leftover.name != data_name:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    return root


def load_index_directory(
    directory: str | os.PathLike[str], kind: str, *, mmap: bool = True, verify: bool = False
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Read an index's settings and arrays (memory-mapped read-only when ``mmap``).

    Always checks that the directory is an index of ``kind`` in a known format version and that
    every array exists with its recorded dtype and shape; ``verify=True`` also re-reads every file
    to compare its CRC-32 (catches silent corruption, costs one pass over the data).
    """
    root = Path(directory)
    if not root.is_dir():
        raise IndexDirectoryError(f"no index at {root}: the directory does not exist")
    manifest = _read_manifest(root)
    if manifest is None:
        raise IndexDirectoryError(f"{root} is not a rank-retrieve index: it has no {MANIFEST}")
    if manifest["format"] != f"rank-retrieve.{kind}":
        raise IndexDirectoryError(
            f"{root} holds a {manifest['format']!r} index, not a 'rank-retrieve.{kind}' one"
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexDirectoryError(
            f"{root} has index format version {manifest.get('format_version')!r}; this rank-retrieve "
            f"({__version__}) reads version {FORMAT_VERSION}"
        )
    data = root / str(manifest.get("data"))
    arrays: dict[str, NDArray[Any]] = {}
    for name, entry in dict(manifest.get("arrays", {})).items():
        path = data / f"{name}.npy"
        if not path.is_file():
            raise IndexDirectoryError(f"{root} is damaged: array file {path.name} is missing")
        try:
            array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise IndexDirectoryError(f"{root} is damaged: {path.name} cannot be read ({exc})") from exc
        if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"]:
            raise IndexDirectoryError(
                f"{root} is damaged: {path.name} has dtype {array.dtype.str} shape {list(array.shape)}, "
                f"the manifest records {entry['dtype']} {entry['shape']}"
            )
        if verify and _crc32(path) != entry["crc32"]:
            raise IndexDirectoryError(f"{root} is damaged: {path.name} fails its CRC-32 check")
        arrays[name] = array
    return dict(manifest.get("settings", {})), arrays
