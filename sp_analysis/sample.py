"""The fictional sample council's workspace, built from the committed files in sample_data/, and taken out
again in one step (`remove_sample`) so the workspace is ready for the council's own files."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from sp_analysis.config import SAMPLE_DATA_DIR
from sp_analysis.contracts.act import install_sample_registers
from sp_analysis.ingest.council import (
    READ_MARK,
    SAMPLE_COUNCIL,
    SAMPLE_MARK,
    all_sample_files,
    notice_files,
    sample_files,
    sample_hashes,
)
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError
from sp_analysis.ingest.load import LoadResult, load_paths, sha256_of
from sp_analysis.ingest.supplier_list import SAMPLE_ATTRIBUTES, SAMPLE_LOCAL_DISTRICTS, install_sample_attributes
from sp_analysis.plan.actions import SAMPLE_PLAN
from sp_analysis.plan.framework import SAMPLE_ASSESSMENT, SAMPLE_TARGETS, install_sample_plan
from sp_analysis.plan.plan_files import read_plan_file
from sp_analysis.settings import get_setting, set_setting
from sp_analysis.spend.classify import ensure_classified
from sp_analysis.workspace import MARK_SPEND_FACTS_STALE, Workspace

WRITE_MARK = "INSERT OR REPLACE INTO workspace_meta VALUES ($key, $value)"
DELETE_META = "DELETE FROM workspace_meta WHERE key = $key"
SAMPLE_FILES = "SELECT file_id, kind, rows FROM loaded_files WHERE list_contains($hashes, sha256)"
DELETE_SAMPLE_PAYMENTS = "DELETE FROM payments WHERE list_contains($ids, file_id)"
DELETE_SAMPLE_CLASSES = "DELETE FROM payment_classes WHERE list_contains($ids, file_id)"
DELETE_SAMPLE_CONTRACTS = "DELETE FROM contracts WHERE list_contains($ids, file_id)"
DELETE_SAMPLE_FILES = "DELETE FROM loaded_files WHERE list_contains($ids, file_id)"
SAMPLE_ACTIONS = "SELECT action_id FROM plan_actions WHERE list_contains($titles, title)"
DELETE_ACTION_ROWS = ("DELETE FROM plan_milestones WHERE list_contains($ids, action_id)",
                      "DELETE FROM plan_action_status WHERE list_contains($ids, action_id)",
                      "DELETE FROM plan_actions WHERE list_contains($ids, action_id)")
DELETE_SAMPLE_TARGET = ("DELETE FROM ff_targets WHERE theme = $theme AND level = $level AND target_date = $target_date "
                        "RETURNING 1")
SAMPLE_ASSESSMENTS = ("SELECT assessment_id FROM ff_assessments WHERE theme = $theme AND assessed_on = $assessed_on "
                      "AND assessor = $assessor")
DELETE_ASSESSMENT_ROWS = ("DELETE FROM ff_assessment_items WHERE list_contains($ids, assessment_id)",
                          "DELETE FROM ff_assessments WHERE list_contains($ids, assessment_id)")
CURRENT_ATTRIBUTE_UPLOAD = "SELECT sha256 FROM supplier_attribute_uploads ORDER BY upload_id DESC LIMIT 1"
DELETE_SAMPLE_ATTRIBUTE_UPLOADS = "DELETE FROM supplier_attribute_uploads WHERE sha256 = $sha RETURNING 1"
CLEAR_ATTRIBUTES = "DELETE FROM supplier_attributes"


def build_sample_workspace(ws: Workspace, root: Path = SAMPLE_DATA_DIR) -> tuple[list[LoadResult], list[LoadError]]:
    """Load every sample file; files already in the workspace are passed over quietly."""
    loaded: list[LoadResult] = []
    refused: list[LoadError] = []
    paths = all_sample_files(root)
    with ws.write() as cur:
        cur.execute(WRITE_MARK, {"key": SAMPLE_MARK,
                                 "value": json.dumps(sorted(sha256_of(p.read_bytes()) for p in paths))})
    batches = [("spend", sample_files("spend", root)), ("contracts", sample_files("contracts", root)),
               ("contracts", notice_files(root))]
    for kind, kind_paths in batches:
        for _path, result in load_paths(ws, kind_paths, kind):  # type: ignore[arg-type]
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


@dataclass(frozen=True)
class SampleRemoval:
    """What `remove_sample` took out of the workspace."""

    spend_files: int
    contracts_files: int
    payments: int
    contracts: int
    actions: int
    targets: int
    assessments: int
    supplier_list: bool
    kept_files: int

    def describe(self) -> str:
        """In words, for the page and the command line."""
        if not (self.spend_files or self.contracts_files or self.actions or self.targets or self.assessments
                or self.supplier_list):
            return "The workspace held no sample data; nothing was removed."
        parts = [f"{self.spend_files:,} sample spend files ({self.payments:,} payments)",
                 f"{self.contracts_files:,} contracts file{'' if self.contracts_files == 1 else 's'}, the register "
                 f"and its notices ({self.contracts:,} contracts)",
                 f"the sample plan ({self.actions:,} actions, {self.targets:,} targets, "
                 f"{self.assessments:,} self-assessments)"]
        if self.supplier_list:
            parts.append("the sample supplier list")
        kept = (f" The {self.kept_files:,} other loaded file(s) are kept." if self.kept_files
                else " The workspace holds no loaded files now: load your council's own on the Upload page.")
        return "Removed " + ", ".join(parts) + "." + kept


def _sample_plan_keys() -> tuple[list[str], list[dict[str, str]], list[dict[str, str]]]:
    titles = [action.title for action in read_plan_file(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name)]
    targets = list(csv.DictReader(io.StringIO(SAMPLE_TARGETS.read_text(encoding="utf-8"))))
    assessments = list(csv.DictReader(io.StringIO(SAMPLE_ASSESSMENT.read_text(encoding="utf-8"))))
    return titles, targets, assessments


def remove_sample(ws: Workspace) -> SampleRemoval:
    """Take the sample out in one transaction: its spend and contracts files with every row they brought, the
    sample plan's actions, targets and baseline self-assessment, its supplier list, and the settings it set
    (the council's name, the local postcode districts) where they are still the sample's. Files, actions and
    settings of the council's own are kept. The Flexible Framework's criteria, the categories and the rules
    are not the sample's and stay."""
    hashes = sorted(sample_hashes(ws))
    titles, targets, assessments = _sample_plan_keys()
    attributes_sha = sha256_of(SAMPLE_ATTRIBUTES.read_bytes())
    with ws.write() as cur:
        files = cur.execute(SAMPLE_FILES, {"hashes": hashes}).fetchall()
        ids = [int(file_id) for file_id, _kind, _rows in files]
        spend = [rows for _id, kind, rows in files if kind == "spend"]
        contracts = [rows for _id, kind, rows in files if kind == "contracts"]
        for sql in (DELETE_SAMPLE_PAYMENTS, DELETE_SAMPLE_CLASSES, DELETE_SAMPLE_CONTRACTS, DELETE_SAMPLE_FILES):
            cur.execute(sql, {"ids": ids})
        if spend:
            cur.execute(MARK_SPEND_FACTS_STALE)
        action_ids = [int(r[0]) for r in cur.execute(SAMPLE_ACTIONS, {"titles": titles}).fetchall()]
        for sql in DELETE_ACTION_ROWS:
            cur.execute(sql, {"ids": action_ids})
        removed_targets = sum(len(cur.execute(DELETE_SAMPLE_TARGET, {
            "theme": t["theme"], "level": int(t["level"]), "target_date": t["target_date"]}).fetchall()) for t in targets)
        baseline = {(a["theme"], a["assessed_on"], a["assessor"]) for a in assessments}
        assessment_ids = [int(r[0]) for theme, on, who in sorted(baseline) for r in cur.execute(
            SAMPLE_ASSESSMENTS, {"theme": theme, "assessed_on": on, "assessor": who}).fetchall()]
        for sql in DELETE_ASSESSMENT_ROWS:
            cur.execute(sql, {"ids": assessment_ids})
        current = cur.execute(CURRENT_ATTRIBUTE_UPLOAD).fetchone()
        if current is not None and current[0] == attributes_sha:
            cur.execute(CLEAR_ATTRIBUTES)  # the list in force is the sample's
        supplier_list = bool(cur.execute(DELETE_SAMPLE_ATTRIBUTE_UPLOADS, {"sha": attributes_sha}).fetchall())
        if supplier_list:
            cur.execute(MARK_SPEND_FACTS_STALE)
        for name, sample_value in (("council_name", SAMPLE_COUNCIL), ("local_postcode_districts", SAMPLE_LOCAL_DISTRICTS)):
            row = cur.execute(READ_MARK, {"key": f"setting:{name}"}).fetchone()
            if row is not None and str(row[0]).strip() == sample_value:
                cur.execute(DELETE_META, {"key": f"setting:{name}"})
        cur.execute(DELETE_META, {"key": SAMPLE_MARK})
        kept = int(cur.execute("SELECT count(*) FROM loaded_files").fetchone()[0])  # type: ignore[index]
    return SampleRemoval(len(spend), len(contracts), sum(spend), sum(contracts), len(action_ids), removed_targets,
                         len(assessment_ids), supplier_list, kept)
