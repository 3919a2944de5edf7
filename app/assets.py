"""A local copy of Leaflet, served by Streamlit's static file serving, so the map renders offline.

The files come from the ``xstatic-leaflet`` package (Leaflet packaged for Python); they are copied into
``app/static/vendor/leaflet`` (ignored by git) and served at ``/app/static/vendor/leaflet/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
URL = "/app/static/vendor/leaflet"


def ensure_leaflet() -> tuple[str, str]:
    """Copy Leaflet next to the app once; return the URLs of ``leaflet.js`` and ``leaflet.css``."""
    import xstatic.pkg.leaflet as xl

    src = Path(xl.BASE_DIR)
    dst = STATIC / "vendor" / "leaflet"
    if not (dst / "leaflet.js").is_file() or (dst / "leaflet.js").stat().st_size != (src / "leaflet.js").stat().st_size:
        dst.mkdir(parents=True, exist_ok=True)
        for name in ("leaflet.js", "leaflet.css"):
            shutil.copyfile(src / name, dst / name)
        shutil.copytree(src / "images", dst / "images", dirs_exist_ok=True)
    return f"{URL}/leaflet.js", f"{URL}/leaflet.css"


# Leaflet.draw (polygon / rectangle selection on the map) is not packaged for Python: it is fetched once,
# at install time (`make app` / `make test`), from the npm registry, pinned and checked by its integrity hash.
DRAW_VERSION = "1.0.4"
DRAW_TARBALL = f"https://registry.npmjs.org/leaflet-draw/-/leaflet-draw-{DRAW_VERSION}.tgz"
DRAW_SHA512 = "rsQ6saQO5ST5Aj6XRFylr5zvarWgzWnrg46zQ1MEOEIHsppdC/8hnN8qMoFvACsPvTioAuysya/TVtog15tyAQ=="
DRAW_URL = "/app/static/vendor/leaflet-draw"


def leaflet_draw() -> tuple[str, str] | None:
    """URLs of the local ``leaflet.draw.js`` and ``.css``, or None if they were not installed."""
    dst = STATIC / "vendor" / "leaflet-draw"
    if (dst / "leaflet.draw.js").is_file() and (dst / "leaflet.draw.css").is_file():
        return f"{DRAW_URL}/leaflet.draw.js", f"{DRAW_URL}/leaflet.draw.css"
    return None


def fetch_leaflet_draw() -> None:
    """Download and unpack Leaflet.draw into ``app/static/vendor/leaflet-draw`` (needs the registry once)."""
    import base64
    import hashlib
    import io
    import tarfile
    import urllib.request

    if leaflet_draw() is not None:
        return
    data = urllib.request.urlopen(DRAW_TARBALL, timeout=60).read()
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != DRAW_SHA512:
        raise RuntimeError(f"{DRAW_TARBALL}: integrity check failed")
    dst = STATIC / "vendor" / "leaflet-draw"
    (dst / "images").mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/dist/")
            if member.isfile() and name in ("leaflet.draw.js", "leaflet.draw.css") or name.startswith("images/"):
                if member.isfile() and "/" not in name.removeprefix("images/"):
                    (dst / name).write_bytes(tar.extractfile(member).read())


if __name__ == "__main__":
    ensure_leaflet()
    try:
        fetch_leaflet_draw()
    except OSError as err:  # offline: the app still runs, without the drawing tools
        print(f"Leaflet.draw not installed ({err}); the map's polygon selection will be off.")
