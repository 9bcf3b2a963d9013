"""The register beside the published notices: where they disagree (the rules and their SQL are in notices.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sp_analysis.contracts import notices
from sp_analysis.contracts.register import staged
from sp_analysis.sql import fetch_frame
from sp_analysis.workspace import Workspace

# --- the register beside the published notices --------------------------------------------------------------


def compare_register_and_notices(ws: Workspace, today: dt.date | None = None,
                                 threshold: Decimal | None = None) -> notices.NoticeComparison:
    """Where the register and the notices disagree, and the pairs that agree (see sp_analysis/contracts/notices.py); the
    £30,000 line is the workspace's notifiable below-threshold row unless `threshold` is given."""
    with staged(ws, today) as cur:
        if threshold is None:
            threshold = notices.read_limits(cur).threshold
        count, first, last, matched = cur.execute(notices.PERIOD).fetchall()[0]
        params = {"threshold": threshold, "first": first, "last": last}
        without_notice = fetch_frame(cur, notices.REGISTER_WITHOUT_NOTICE, params)
        not_compared = int(cur.execute(notices.REGISTER_NOT_COMPARED, {"threshold": threshold}).fetchall()[0][0])
        buyers = tuple((str(b), int(n)) for b, n in cur.execute(notices.BUYERS).fetchall())
        return notices.NoticeComparison(int(count), int(matched), first, last, without_notice, not_compared,
                                fetch_frame(cur, notices.NOTICES_WITHOUT_REGISTER), fetch_frame(cur, notices.MATCHED), buyers)


def notice_definitions(ws: Workspace) -> dict[str, str]:
    """The register-and-notices rules in words, with the workspace's £30,000 line and matching tolerances."""
    with ws.read() as cur:
        return notices.definitions(notices.read_limits(cur))
