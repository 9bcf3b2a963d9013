"""Where things live: the workspace file and the project's bundled data."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = PROJECT_ROOT / "sample_data"
# The package's own data: the default categories and rules, the sample plan and the Framework's criteria.
PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_WORKSPACE = PROJECT_ROOT / "data" / "workspace.duckdb"
WORKSPACE_ENV = "SP_WORKSPACE"


def workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace file: an explicit path, else $SP_WORKSPACE, else data/workspace.duckdb."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_WORKSPACE
