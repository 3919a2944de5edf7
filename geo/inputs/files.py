"""Where the library keeps files: the cache folder, content digests, and writing text or bytes to disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """The folder for compiled networks, remembered column mappings and uploads.

    Returns
    -------
    Path
        ``$XUEQU_CACHE_DIR``, else ``$XDG_CACHE_HOME/xuequ``, else ``~/.cache/xuequ`` (read at each call; not
        created here).
    """
    base = os.environ.get("XUEQU_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xuequ"
    return Path(base)


def file_digest(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        The digest in hexadecimal.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8, creating the folders on the way.

    Parameters
    ----------
    path : str or Path
        Where to write.
    text : str
        What to write.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data``, creating the folders on the way.

    Parameters
    ----------
    path : str or Path
        Where to write.
    data : bytes
        What to write.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p
