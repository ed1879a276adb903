"""Saved audiences and their live count (issue 4, "Saved audience definitions ... built in
the UI with a live count, evaluated by the analytics engine").

The filters are compiled by analytics/audiences.py and run on DuckDB over the newest
nightly run's files (DATA_DIR/nightly/YYYY-MM), so a count over millions of lines takes
the engine's time, not the database's. Saving an audience is care/editor.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from telcrm.analytics import audiences as compiled
from telcrm.analytics import backends
from telcrm.core.errors import NotFound, ValidationFailed


def nightly_files() -> tuple[str, compiled.NightlyFiles]:
    """The newest month whose nightly run left its features and results."""
    root = Path(settings.DATA_DIR) / "nightly"
    for directory in sorted((p for p in root.glob("????-??") if p.is_dir()), reverse=True):
        files = compiled.NightlyFiles.in_directory(directory)
        if files.exist():
            return directory.name, files
    raise NotFound("no nightly results yet: run `telcrm nightly` first", code="no_nightly_results")


def parse_filters(filters: dict[str, Any]) -> compiled.AudienceFilters:
    try:
        return compiled.AudienceFilters.from_dict(filters)
    except compiled.AudienceError as error:
        raise ValidationFailed(str(error)) from None


def count_customers(filters: dict[str, Any]) -> int:
    """How many customers the filters select in the newest nightly results."""
    parsed = parse_filters(filters)
    _month, files = nightly_files()
    return compiled.count(backends.connect(), files, parsed)


def audience_customer_ids(filters: dict[str, Any], *, limit: int | None = None) -> list[int]:
    """The customers in the audience, by id, ascending (a stable order for the draw);
    ``limit`` takes only the first few (a preview's sample)."""
    parsed = parse_filters(filters)
    _month, files = nightly_files()
    expression = compiled.audience(backends.connect(), files, parsed).order_by("customer_id")
    table = (expression.limit(limit) if limit else expression).to_pyarrow()
    return table.column("customer_id").to_pylist()
