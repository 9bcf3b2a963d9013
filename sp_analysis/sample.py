"""The fictional sample council's workspace, built from the committed files in sample_data/."""

from __future__ import annotations

from pathlib import Path

from sp_analysis.act import install_sample_registers
from sp_analysis.classify import ensure_classified
from sp_analysis.config import SAMPLE_DATA_DIR
from sp_analysis.framework import install_sample_plan
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError
from sp_analysis.ingest.load import LoadResult, load_paths
from sp_analysis.settings import get_setting, set_setting
from sp_analysis.supplier_attributes import install_sample_attributes
from sp_analysis.workspace import Workspace

SPEND_GLOBS = ("*.csv", "*.xlsx")
SAMPLE_COUNCIL = "Harrowdale County Council"  # fictional


def sample_files(kind: str, root: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """The sample's files of one kind, in name order (months in order)."""
    folder = root / ("spend" if kind == "spend" else "contracts")
    return sorted(p for pattern in SPEND_GLOBS for p in folder.glob(pattern))


def notice_files(root: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """The sample's contract notices (OCDS JSON from Contracts Finder and Find a Tender), in name order."""
    return sorted((root / "notices").glob("*.json"))


def data_already_held(ws: Workspace) -> str | None:
    """What the workspace already holds, in words, or None when it is empty (no file, payment or contract).

    The sample adds 63,341 fictional payments and 416 contracts, replaces the supplier list and names the
    council, so the command line builds it only into an empty workspace.
    """
    with ws.read() as cur:
        row = cur.execute("SELECT (SELECT count(*) FROM loaded_files), (SELECT count(*) FROM payments), "
                          "(SELECT count(*) FROM contracts)").fetchone()
    assert row is not None
    files, payments, contracts = (int(v) for v in row)
    if not (files or payments or contracts):
        return None
    return f"{files:,} loaded files, {payments:,} payments and {contracts:,} contracts"


def build_sample_workspace(ws: Workspace, root: Path = SAMPLE_DATA_DIR) -> tuple[list[LoadResult], list[LoadError]]:
    """Load every sample file; files already in the workspace are passed over quietly."""
    loaded: list[LoadResult] = []
    refused: list[LoadError] = []
    batches = [("spend", sample_files("spend", root)), ("contracts", sample_files("contracts", root)),
               ("contracts", notice_files(root))]
    for kind, paths in batches:
        for _path, result in load_paths(ws, paths, kind):  # type: ignore[arg-type]
            if isinstance(result, LoadResult):
                loaded.append(result)
            elif not isinstance(result, AlreadyLoaded):
                refused.append(result)
    install_sample_plan(ws)
    install_sample_attributes(ws)
    install_sample_registers(ws, root / "act")
    if not get_setting(ws, "council_name"):
        set_setting(ws, "council_name", SAMPLE_COUNCIL)
    ensure_classified(ws)
    return loaded, refused
