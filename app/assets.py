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
