"""Which folders the page may read files from when a user types a path.

A server that several people use should not read every file its account can: a path typed in the page is
accepted only inside a *data root*. The roots are ``$XUEQU_DATA_ROOT`` (folders separated by ``os.pathsep``,
``:`` on Linux and macOS, ``;`` on Windows), else the working folder and ``../shared/data`` beside it.
Symbolic links and ``..`` are resolved first, so neither leads out of a root. The command line reads any
file its user names and does not use this.
"""

from __future__ import annotations

import os
from pathlib import Path

from geo.errors import InputError

ENV = "XUEQU_DATA_ROOT"


def data_roots() -> tuple[Path, ...]:
    """The folders paths typed in the page must lie in.

    Returns
    -------
    tuple of Path
        ``$XUEQU_DATA_ROOT``'s folders, else the working folder and ``../shared/data``; resolved, each once
        (read from the environment at each call).
    """
    raw = os.environ.get(ENV, "")
    given = [p for p in raw.split(os.pathsep) if p.strip()]
    roots = [Path(p.strip()).expanduser() for p in given] or [Path.cwd(), Path.cwd().parent / "shared" / "data"]
    return tuple(dict.fromkeys(r.resolve() for r in roots))


def check_under_roots(path: str | Path, roots: tuple[Path, ...] | None = None) -> Path:
    """A typed path, resolved, if it lies in one of the data roots.

    Parameters
    ----------
    path : str or Path
        The path as typed (``~`` expanded; relative to the working folder).
    roots : tuple of Path, optional
        The allowed folders; default :func:`data_roots`.

    Returns
    -------
    Path
        ``path`` with symbolic links and ``..`` followed.

    Raises
    ------
    InputError
        ``err.outside_roots`` naming the path and the roots, also for a path that cannot be resolved.
    """
    roots = data_roots() if roots is None else tuple(Path(r).resolve() for r in roots)
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        resolved = None
    if resolved is not None and any(resolved == r or resolved.is_relative_to(r) for r in roots):
        return resolved
    raise InputError("err.outside_roots", file=str(path), roots=" ; ".join(str(r) for r in roots), env=ENV)
