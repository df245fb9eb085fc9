"""The files of an eval report: ``NAME.json`` (the report as it is) and ``NAME.html`` (a
self-contained page) side by side in one folder."""

from __future__ import annotations

import json
from pathlib import Path


def write_json_html(report: dict, out_dir: Path, name: str, page: str) -> tuple[Path, Path]:
    """Write ``out_dir/NAME.json`` and ``out_dir/NAME.html`` (the folder is created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / f"{name}.json", out_dir / f"{name}.html"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
