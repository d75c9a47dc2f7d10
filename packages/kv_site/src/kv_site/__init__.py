"""KV Storage's landing, docs and pricing site, and its publishing to AWS."""

from __future__ import annotations

import os
from pathlib import Path


def site_dir() -> Path:
    """Where the built site is: ``KV_SITE_DIR``, else ``site/`` beside this package's
    ``pyproject.toml`` (MkDocs' default output there)."""
    return Path(os.environ.get("KV_SITE_DIR") or Path(__file__).resolve().parents[2] / "site")
