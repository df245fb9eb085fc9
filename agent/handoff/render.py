"""Markdown rendering of a handoff summary (``clinagent handoff --format md``)."""

from __future__ import annotations

from agent.schemas.notes import InputIssue, Note
from agent.schemas.summary import Citation, HandoffSummary, Statement

SECTION_TITLES = {
    "illness_severity": "I - Illness severity",
    "patient_summary": "P - Patient summary",
    "active_problems": "Active problems",
    "medications": "Current medications and changes",
    "allergies": "Allergies",
    "pending": "Pending results",
    "action_list": "A - Action list",
    "situation_awareness": "S - Situation awareness and contingencies",
}
_FLAG = {"CONTRADICTED": "⚠ CONTRADICTED", "UNSUPPORTED": "⚠ UNSUPPORTED",
         "NOT_CHECKABLE": "· not checkable"}


def _flag(st: Statement) -> str:
    v = st.verification
    if v is None:
        return " _(not verified)_"
    opinion = ""
    if v.model_opinion is not None:
        # A model's opinion is shown as one, never as a verification.
        o = v.model_opinion
        opinion = (f" _(model opinion, {o.model or o.backend}: {o.label}"
                   + (f" - {o.reason}" if o.reason else "") + ")_")
    if v.verdict == "SUPPORTED":
        return opinion
    label = _FLAG[v.verdict]
    reason = ", ".join(v.reasons)
    detail = "; ".join(x for x in (reason, v.detail) if x)
    return f" **{label}**" + (f": {detail}" if detail else "") + opinion


def _source_line(n: int, c: Citation, notes: dict[str, Note] | None) -> str:
    where = f"{c.note_id} [{c.start}:{c.end}]"
    note = (notes or {}).get(c.note_id)
    if note is None:
        return f"[{n}] {where}"
    quote = " ".join(note.text[c.start:c.end].split())
    if len(quote) > 160:
        quote = quote[:157] + "..."
    meta = ", ".join(x for x in (note.note_type, note.date) if x)
    return f"[{n}] {where} ({meta}): \"{quote}\""


def issue_location(issue: InputIssue) -> str:
    """Where a skipped input sits, e.g. ``notes.jsonl line 2 field 'text'``."""
    where = issue.source + (f" line {issue.line}" if issue.line is not None else "")
    return where + (f" field {issue.field!r}" if issue.field else "")


def partial_input_banner(summary: HandoffSummary) -> list[str]:
    """The Markdown lines of the partial-input warning (none when the input was whole).

    It comes first, above the summary: a reader must see that notes may be missing before
    reading a summary that otherwise looks complete.
    """
    issues = summary.input_issues
    if not issues:
        return []
    lines = [f"> **⚠ PARTIAL INPUT: this handoff was built from {len(summary.note_ids)} "
             f"note(s); {len(issues)} input line(s) that may hold notes of this patient could "
             "not be read and are NOT in it.** Fix the lines and run the handoff again.", ">"]
    lines += [f"> - {issue_location(i)}: {i.problem}" for i in issues]
    return lines + [""]


def to_markdown(summary: HandoffSummary, notes: dict[str, Note] | None = None) -> str:
    """The summary as Markdown: I-PASS headings, each statement with ``[n]`` citation
    markers and its verification flag inline, sources, then omissions and run flags. A
    summary built from partial input (``input_issues``) opens with a banner listing the
    skipped lines.

    Args:
        summary: a (verified) handoff summary.
        notes: note id -> note, to quote the cited spans under "Sources"; without it the
            sources list note ids and offsets only.

    Returns:
        Markdown text.
    """
    lines = [f"# Handoff: patient {summary.patient_id}", "", *partial_input_banner(summary),
             f"Mode: {summary.mode}. Notes: {', '.join(summary.note_ids)}. "
             f"Generated {summary.generated_at} by {summary.provenance.producer} "
             f"{summary.provenance.package_version}"
             + (f", backend {summary.provenance.backend}" if summary.provenance.backend
                else "")
             + (f", model {summary.provenance.model}" if summary.provenance.model else "")
             + (f", prompts {summary.provenance.prompt}" if summary.provenance.prompt
                else "") + "."]
    for flag in summary.flags:
        lines += ["", f"> ⚠ {flag}"]
    numbers: dict[tuple[str, int, int], int] = {}
    for section, title in SECTION_TITLES.items():
        items = [s for s in summary.statements if s.section == section]
        if not items:
            continue
        lines += ["", f"## {title}", ""]
        for st in items:
            marks = []
            for c in st.citations:
                key = (c.note_id, c.start, c.end)
                numbers.setdefault(key, len(numbers) + 1)
                marks.append(f"[{numbers[key]}]")
            cite = " " + "".join(marks) if marks else " _(no citation)_"
            lines.append(f"- {st.text}{cite}{_flag(st)}")
    if summary.omissions:
        lines += ["", "## Not mentioned in this summary (from the timeline)", ""]
        for om in summary.omissions:
            where = ", ".join(f"{c.note_id} [{c.start}:{c.end}]" for c in om.citations[:3])
            lines.append(f"- {om.kind.replace('_', ' ')}: {om.text} ({where})")
    if numbers:
        lines += ["", "## Sources", ""]
        for (note_id, start, end), n in numbers.items():
            lines.append(_source_line(n, Citation(note_id=note_id, start=start, end=end),
                                      notes))
    return "\n".join(lines) + "\n"
