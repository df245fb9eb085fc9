"""A cohort result as JSON, CSV (one row per evidence span), Markdown or HTML (with the
attrition plot). Evidence is cited by note id, date and offsets; the Markdown and HTML
forms show the snippet for the coordinator who reads them on the same system as the notes.
"""

from __future__ import annotations

import base64
import csv
import html
import io

from agent.schemas.cohort import CohortResult

FORMATS = ("json", "csv", "md", "html")
_CSV_COLUMNS = ("patient_id", "status", "criterion", "note_id", "date", "start", "end", "text",
                "concept", "code", "value", "unit")


def to_json(result: CohortResult) -> str:
    """The result as indented JSON."""
    return result.model_dump_json(indent=2) + "\n"


def to_csv(result: CohortResult) -> str:
    """One row per evidence span of matched and excluded patients (a patient without
    evidence rows gets one row with its status)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(_CSV_COLUMNS)
    for p in result.patients:
        rows = [(c.criterion, e) for c in p.criteria for e in c.evidence]
        for crit, e in rows or [("", None)]:
            w.writerow(_csv_row(p.patient_id, "included", crit, e))
    for x in result.excluded:
        for e in x.evidence or [None]:
            w.writerow(_csv_row(x.patient_id, "excluded", x.excluded_by, e))
    return buf.getvalue()


def _csv_row(pid: str, status: str, crit: str, e) -> list:
    if e is None:
        return [pid, status, crit, "", "", "", "", "", "", "", "", ""]
    return [pid, status, crit, e.note_id, e.date or "", e.start, e.end, e.text, e.concept,
            e.code or "", "" if e.value is None else e.value, e.unit or ""]


def attrition_table_md(result: CohortResult) -> str:
    """The attrition table in Markdown."""
    lines = ["| step | kind | meeting it | remaining |", "|---|---|---:|---:|"]
    for s in result.attrition:
        lines.append(f"| {s.step} | {s.kind} | {s.matched} | {s.remaining} |")
    return "\n".join(lines)


def to_markdown(result: CohortResult) -> str:
    """A readable report: attrition, matched patients with evidence, exclusions."""
    out = [f"# Cohort: {result.name}", "",
           f"{len(result.patients)} of {result.population} patient(s) match "
           f"(query sha256 {result.query_sha256[:12]}, clinagent "
           f"{result.provenance.get('package_version', '?')}).", "", "## Attrition", "",
           attrition_table_md(result), "", "## Matched patients", ""]
    for p in result.patients:
        out.append(f"### {p.patient_id}")
        for c in p.criteria:
            out.append(f"- **{c.criterion}**")
            for e in c.evidence:
                out.append(f"  - {e.note_id} ({e.date or 'undated'}) [{e.start}:{e.end}] "
                           f"\"{e.text}\": ...{e.snippet or ''}...")
        out.append("")
    if result.excluded:
        out += ["## Excluded", ""]
        for x in result.excluded:
            where = ", ".join(f"{e.note_id} [{e.start}:{e.end}] \"{e.text}\""
                              for e in x.evidence)
            out.append(f"- {x.patient_id}: {x.excluded_by}" + (f" ({where})" if where else ""))
    return "\n".join(out) + "\n"


def attrition_png(result: CohortResult) -> bytes:
    """The attrition plot: patients remaining after each step (PNG)."""
    # Deferred: matplotlib is slow to import and only the HTML report draws.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    steps = result.attrition
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(steps) + 1.2))
    colors = {"population": "#777777", "inclusion": "#2b7bb9", "exclusion": "#c0392b"}
    labels = [f"{s.kind[:3]}: {s.step}"[:60] for s in steps]
    ax.barh(range(len(steps)), [s.remaining for s in steps],
            color=[colors[s.kind] for s in steps])
    for i, s in enumerate(steps):
        ax.text(s.remaining, i, f" {s.remaining}", va="center", fontsize=8)
    ax.set_yticks(range(len(steps)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("patients remaining")
    ax.set_title("Attrition")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def to_html(result: CohortResult) -> str:
    """A self-contained HTML page (the plot inlined as a data URL)."""
    png = base64.b64encode(attrition_png(result)).decode("ascii")
    rows = "".join(f"<tr><td>{html.escape(s.step)}</td><td>{s.kind}</td><td>{s.matched}</td>"
                   f"<td>{s.remaining}</td></tr>" for s in result.attrition)
    pats = []
    for p in result.patients:
        items = "".join(
            f"<li><b>{html.escape(c.criterion)}</b><ul>" + "".join(
                f"<li>{html.escape(e.note_id)} ({html.escape(e.date or 'undated')}) "
                f"[{e.start}:{e.end}] <mark>{html.escape(e.text)}</mark> "
                f"<small>{html.escape(e.snippet or '')}</small></li>" for e in c.evidence)
            + "</ul></li>" for c in p.criteria)
        pats.append(f"<h3>{html.escape(p.patient_id)}</h3><ul>{items}</ul>")
    excl = "".join(f"<li>{html.escape(x.patient_id)}: {html.escape(x.excluded_by)}</li>"
                   for x in result.excluded)
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>Cohort "
            f"{html.escape(result.name)}</title><body><h1>Cohort: {html.escape(result.name)}"
            f"</h1><p>{len(result.patients)} of {result.population} patient(s) match.</p>"
            f"<h2>Attrition</h2><table><tr><th>step</th><th>kind</th><th>meeting it</th>"
            f"<th>remaining</th></tr>{rows}</table><img alt='attrition plot' "
            f"src='data:image/png;base64,{png}'><h2>Matched patients</h2>{''.join(pats)}"
            f"<h2>Excluded</h2><ul>{excl}</ul></body></html>\n")


def render(result: CohortResult, fmt: str) -> str:
    """The result in ``fmt`` (one of :data:`FORMATS`)."""
    return {"json": to_json, "csv": to_csv, "md": to_markdown, "html": to_html}[fmt](result)
