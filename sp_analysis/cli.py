"""The command line: start a council's workspace, load files, print the summary, build or remove the sample.

Exit codes: 0 everything loaded (or was already loaded), 1 some file refused, 2 bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from sp_analysis import config
from sp_analysis.ingest.columns import COLUMNS_BY_KIND, Kind
from sp_analysis.ingest.council import SAMPLE_COUNCIL, data_already_held, start_workspace
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, NeedsMapping, NeedsSheet
from sp_analysis.ingest.load import BATCH_ROWS, LoadResult, load_paths
from sp_analysis.ingest.source import ALL_SHEETS, sweep_stale_copies
from sp_analysis.sample import build_sample_workspace, remove_sample
from sp_analysis.settings import get_setting
from sp_analysis.summary import build_summary
from sp_analysis.workspace import Workspace, WorkspaceError, open_workspace

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# How the command line names the lines a file held but did not load (quality["skipped_totals"]).
SKIP_WORDS = {"no_payee": "lines with no payee", "totals": "totals rows", "text_only": "lines of text",
              "header": "repeated header rows", "blank": "blank rows"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sp_analysis",
        description="Sustainable procurement analysis: load council spend and contracts files "
        "into a workspace and report on them.",
        epilog=f"The workspace is --workspace, else ${config.WORKSPACE_ENV}, else {config.DEFAULT_WORKSPACE}. "
        "Exit codes: 0 all loaded (or already loaded), 1 some file refused, 2 bad usage.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def workspace_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--workspace", metavar="PATH", help="the workspace file (DuckDB)")

    new = sub.add_parser(
        "new", aliases=["init"],
        help="start an empty workspace for your council, with its name",
        description="Create an empty workspace (no sample data) named for your council: the name goes on every "
        "title page, chart source line and download file name. On a workspace that already holds data this "
        "changes nothing and exits 1, unless it is already this council's.",
    )
    workspace_option(new)
    new.add_argument("--council", required=True, metavar="NAME", help="the council's name, e.g. 'Devon County Council'")

    load = sub.add_parser(
        "load",
        help="load spend or contracts files (CSV or XLSX; contracts also as OCDS JSON notices)",
        description="Load files into the workspace. Each file lands whole or not at all; a file "
        "loaded before (same bytes) is skipped. Good files land even when others in the batch are refused. "
        "With --kind contracts, a JSON file is read as OCDS notices (release or record packages from Contracts "
        "Finder or Find a Tender).",
    )
    workspace_option(load)
    load.add_argument("--kind", choices=("spend", "contracts"), default="spend", help="what the files hold (default: spend)")
    load.add_argument("--sheet", help="the worksheet to read, for workbooks with several; 'all' loads every sheet "
                      "with data as one file (each payment keeps its sheet and row); several names may be given "
                      "separated by commas")
    load.add_argument("--allow-overlap", action="store_true",
                      help="load a file even when most of its lines match a file loaded already (a genuine overlap)")
    load.add_argument("--json", action="store_true", help="print each file's quality report as JSON lines")
    load.add_argument("paths", nargs="+", metavar="PATH_OR_GLOB", help="files or glob patterns such as 'spend/*.csv'")

    summary = sub.add_parser("summary", help="print the workspace's headline figures")
    workspace_option(summary)
    summary.add_argument("--json", action="store_true", help="print one JSON object (money as decimal strings)")
    summary.add_argument("--as-at", type=_date, metavar="YYYY-MM-DD",
                         help="the date the figures speak of: framework levels, overdue actions (default: today)")

    pack = sub.add_parser(
        "pack",
        help="write the Cabinet pack (Word document) headless",
        description="Write the chosen preset's charts and tables, key figures and data notes as one Word document, "
        "for a monthly scheduled job. Needs a Chromium on the machine to draw the charts.",
    )
    workspace_option(pack)
    pack.add_argument("--out", required=True, metavar="FILE.docx", help="where to write the document")
    pack.add_argument("--preset", default="cabinet", help="which set of charts and tables (default: cabinet)")
    pack.add_argument("--as-at", type=_date, metavar="YYYY-MM-DD", help="the date the pack speaks of (default: today)")
    pack.add_argument("--zip", metavar="FILE.zip", help="also write every chart as PNG and SVG into this ZIP")

    export = sub.add_parser("export", help="back up every table of the workspace as Parquet files in a folder")
    workspace_option(export)
    export.add_argument("--out", required=True, metavar="DIR", help="the folder to write (created if missing)")
    restore = sub.add_parser("import", help="restore a workspace from a folder written by 'export'",
                             description="Replace the workspace's contents with the backup's, in one transaction.")
    workspace_option(restore)
    restore.add_argument("folder", metavar="DIR", help="a folder written by 'export'")

    sample = sub.add_parser("sample", help="build the fictional sample council's workspace from sample_data/")
    workspace_option(sample)
    remove = sub.add_parser(
        "remove-sample",
        help="take the fictional sample's files, plan and supplier list out of the workspace",
        description="Remove, in one step, the sample's spend and contracts files with every row they brought, the "
        "sample plan (actions, targets, baseline self-assessment), its supplier list and the settings it set. "
        "Your own files, actions and settings stay.",
    )
    workspace_option(remove)
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date as YYYY-MM-DD") from exc


def _expand(patterns: Sequence[str]) -> tuple[list[Path], list[str]]:
    paths: list[Path] = []
    unmatched: list[str] = []
    for pattern in patterns:
        # An existing file is taken as named, even when its name holds glob characters such as
        # 'Spend [Jan 2017] final.csv'; only a name that is no file is read as a pattern.
        literal = not glob.has_magic(pattern) or Path(pattern).exists()
        matches = [pattern] if literal else sorted(glob.glob(pattern, recursive=True))
        if not matches:
            unmatched.append(pattern)
        paths.extend(Path(m) for m in matches)
    return paths, unmatched


def _describe(result: LoadResult) -> str:
    noun = "payments" if result.kind == "spend" else "contracts"
    quality = result.quality
    if quality.get("source") == "notices":
        return _describe_notices(result)
    text = f"loaded {result.name}: {result.rows:,} {noun}, total £{result.total:,.2f}"
    if quality.get("skipped"):
        text += "; skipped " + ", ".join(f"{n} {k}" for k, n in quality["skipped"].items())
    if quality.get("undated"):
        year = quality.get("undated_fy")
        text += (f"; {quality['undated']:,} line(s) without a date kept (£{Decimal(quality['undated_total']):,.2f}, "
                 + (f"counted in {year}/{(year + 1) % 100:02d}" if year is not None else "year not known") + ")")
    for reason, money in (quality.get("skipped_totals") or {}).items():
        count = quality.get("skipped", {}).get(reason, 0)
        text += f"; {count:,} {SKIP_WORDS.get(reason, reason)} hold £{Decimal(money):,.2f}, not loaded"
    if quality.get("published_total") is not None:
        verdict = "matches" if quality["published_total_matches"] else "DOES NOT match"
        text += f"; published total £{quality['published_total']} {verdict}"
    return text


def _describe_notices(result: LoadResult) -> str:
    from sp_analysis.ingest.ocds import ISSUE_WORDS, SKIP_REASONS

    quality = result.quality
    text = f"loaded {result.name}: {result.rows:,} contracts from notices, total £{result.total:,.2f}"
    skipped = quality.get("skipped") or {}
    if skipped:
        text += "; not loaded: " + ", ".join(f"{n:,} {SKIP_REASONS.get(k, k)}" for k, n in skipped.items())
    issues = quality.get("issues") or {}
    if issues:
        text += "; loaded, but: " + ", ".join(f"{v['count']:,} {ISSUE_WORDS.get(k, k)}" for k, v in issues.items())
    return text


def _refusal_hint(error: LoadError, kind: Kind) -> str:
    if isinstance(error, NeedsMapping):
        names = ", ".join(c.label for c in COLUMNS_BY_KIND[kind] if c.required)
        return (f" The header read was: {', '.join(repr(h) for h in error.header if h)}. "
                f"Load it once through the dashboard's Upload page to choose the {names} columns; "
                "the choice is saved and later files of this shape load here unasked.")
    if isinstance(error, NeedsSheet):
        return " Pass --sheet NAME, or --sheet all to load every sheet as one file."
    return ""


def _load(ws: Workspace, args: argparse.Namespace) -> int:
    paths, unmatched = _expand(args.paths)
    status = EXIT_OK
    for pattern in unmatched:
        print(f"error: {pattern}: no such file", file=sys.stderr)
        status = EXIT_REFUSED
    sheet = args.sheet
    if sheet and sheet != ALL_SHEETS and "," in sheet:
        sheet = [part.strip() for part in sheet.split(",") if part.strip()]
    batch = load_paths(ws, paths, args.kind, sheet=sheet, allow_overlap=args.allow_overlap, batch_rows=BATCH_ROWS)
    for index, (_path, result) in enumerate(batch, start=1):
        prefix = f"[{index}/{len(paths)}] " if len(paths) > 1 else ""
        if isinstance(result, AlreadyLoaded):
            print(f"{prefix}skipped {result.message}")
            continue
        if isinstance(result, LoadError):
            print(f"{prefix}refused {result.message}{_refusal_hint(result, args.kind)}", file=sys.stderr)
            status = EXIT_REFUSED
            continue
        if args.json:
            print(json.dumps({"name": result.name, "file_id": result.file_id, "sha256": result.sha256,
                              "rows": result.rows, "total": f"{result.total:.2f}", "quality": result.quality}))
        else:
            print(prefix + _describe(result))
    # Classification and the analysis table follow on the next summary or page view, once for
    # everything loaded since, rather than once per file.
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    sweep_stale_copies()  # staging copies a killed load left behind
    try:
        ws = open_workspace(config.workspace_path(args.workspace))
        if args.command == "load":
            return _load(ws, args)
        if args.command == "summary":
            summary = build_summary(ws, args.as_at)
            if args.json:
                print(json.dumps(summary, indent=2))
            else:
                _print_summary(summary)
            return EXIT_OK
        if args.command in ("export", "import"):
            from sp_analysis import backup

            if args.command == "export":
                counts = backup.export_workspace(ws, Path(args.out))
            else:
                counts = backup.import_workspace(ws, Path(args.folder))
            verb = "wrote" if args.command == "export" else "restored"
            print(f"{verb} {len(counts)} tables, {sum(counts.values()):,} rows"
                  + (f" to {args.out}" if args.command == "export" else f" from {args.folder}"))
            return EXIT_OK
        if args.command == "pack":
            return _pack(ws, args)
        if args.command in ("new", "init"):
            return _new(ws, args.council)
        if args.command == "remove-sample":
            print(remove_sample(ws).describe())
            return EXIT_OK
        if args.command == "sample":
            held = data_already_held(ws)
            named = get_setting(ws, "council_name").strip()
            if not held and named and named != SAMPLE_COUNCIL:
                print(f"error: the workspace {ws.path} is {named}'s workspace, so the fictional sample was not "
                      "added to it. Build the sample into a new file: sample --workspace PATH.", file=sys.stderr)
                return EXIT_REFUSED
            if held:
                print(f"error: the workspace {ws.path} already holds data ({held}). The sample would add a "
                      "fictional council's payments and contracts to it, replace its supplier list and rename "
                      "its council, so nothing was changed. Build the sample into a new file: "
                      "sample --workspace PATH.", file=sys.stderr)
                return EXIT_REFUSED
            loaded, refused = build_sample_workspace(ws)
            for result in loaded:
                print(_describe(result))
            for error in refused:
                print(f"refused {error.message}", file=sys.stderr)
            return EXIT_REFUSED if refused else EXIT_OK
    except WorkspaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_USAGE


def _new(ws: Workspace, name: str) -> int:
    try:
        started = start_workspace(ws, name)
    except ValueError as exc:
        print(f"error: {exc}.", file=sys.stderr)
        return EXIT_REFUSED
    name = get_setting(ws, "council_name")
    if not started:
        print(f"{ws.path} is already {name}'s workspace; nothing was changed.")
        return EXIT_OK
    print(f"{ws.path}: an empty workspace for {name}. Load your files with: python -m sp_analysis load "
          f"--workspace {ws.path} FILES, or start the dashboard on it with: make run WORKSPACE={ws.path}")
    return EXIT_OK


def _pack(ws: Workspace, args: argparse.Namespace) -> int:
    from sp_analysis.output import pack, render

    if args.preset not in pack.PRESETS:
        print(f"error: no preset '{args.preset}' (there are: {', '.join(pack.PRESETS)})", file=sys.stderr)
        return EXIT_USAGE
    problem = render.export_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    built = pack.build_pack(ws, pack.PRESETS[args.preset], as_at=args.as_at)
    Path(args.out).write_bytes(pack.write_docx(built))
    print(f"wrote {args.out}: {len(built.figures)} figures, {len(built.tables)} tables")
    if args.zip:
        Path(args.zip).write_bytes(pack.write_zip(built))
        print(f"wrote {args.zip}: {2 * len(built.figures)} images")
    return EXIT_OK


def _print_summary(summary: dict[str, object]) -> None:
    spend = summary["spend"]
    contracts = summary["contracts"]
    assert isinstance(spend, dict) and isinstance(contracts, dict)
    print(f"Workspace: {summary['workspace']}")
    print(f"Spend: {spend['rows']:,} payments, £{Decimal(spend['total']):,.2f}, "
          f"{spend['first_date']} to {spend['last_date']}, from {len(spend['files'])} files")
    for year, total in spend["by_financial_year"].items():
        print(f"  {year}: £{Decimal(total):,.2f}")
    print(f"Contracts: {contracts['rows']:,} contracts, whole-life value £{Decimal(contracts['total_value']):,.2f}")
