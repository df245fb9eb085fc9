"""The relation report (``clinagent eval relations``): the printed table, the JSON and a
self-contained HTML page."""

from __future__ import annotations

import html
import json
from pathlib import Path

from evals.report_files import write_json_html

REPORT_DIR = Path("evals/reports")


def write_reports(report: dict, out_dir: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Write ``relations.json`` and ``relations.html`` into ``out_dir``."""
    return write_json_html(report, out_dir, "relations", render_html(report))


def headline(report: dict) -> str:
    """The table printed by the command: system vs baseline."""
    rows = ["| data | system | P | R | F1 (overlap) | F1 (exact) |", "|---|---|---|---|---|---|"]
    phee = report.get("phee_dev")
    if phee:
        for name in ("rules", "baseline"):
            o, e = phee[name]["overlap"], phee[name]["exact"]
            rows.append(f"| PHEE dev drug->ADE ({phee['gold_relations']}) | {name} | "
                        f"{o['precision']:.3f} | {o['recall']:.3f} | {o['f1']:.3f} | "
                        f"{e['f1']:.3f} |")
    demo = report["demo"]
    for name, v in demo["drug_problem_links_overlap"].items():
        rows.append(f"| demo drug-problem links | {name} | {v['precision']:.3f} | "
                    f"{v['recall']:.3f} | {v['f1']:.3f} | - |")
    frozen = report.get("frozen")
    if frozen:
        for t, v in frozen["by_type"].items():
            o, e = v["overlap"], v["exact"]
            rows.append(f"| frozen (blind) {t} | rules | {o['precision']:.3f} | "
                        f"{o['recall']:.3f} | {o['f1']:.3f} | {e['f1']:.3f} |")
        for name, v in frozen["drug_problem_links_overlap"].items():
            rows.append(f"| frozen (blind) drug-problem links | {name} | "
                        f"{v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | - |")
    lines = ["\n".join(rows)]
    if phee:
        a = phee["rules"]["assertion"]
        lines.append("PHEE assertion accuracy (matched events): " + ", ".join(
            f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in a.items()
            if isinstance(v, dict)) + f"; overall {a['accuracy']}")
    t = demo["traps"]
    lines.append(f"demo traps linked: rules {t['linked_rules']}/{t['n']}, "
                 f"baseline {t['linked_baseline']}/{t['n']}")
    if frozen:
        a, t = frozen["assertion"], frozen["traps"]
        lines.append("frozen (blind) assertion accuracy (matched): " + ", ".join(
            f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in a.items()
            if isinstance(v, dict)) + f"; overall {a['accuracy']}; traps linked: rules "
            f"{t['linked_rules']}/{t['n']}, baseline {t['linked_baseline']}/{t['n']}")
    cases = report.get("sentence_cases")
    if cases:
        lines.append(f"sentence cases passed: {cases['passed']}/{cases['n']}")
    return "\n".join(lines)


def render_html(report: dict) -> str:
    """A self-contained HTML page of the report (tables only)."""
    def table(title: str, rows: dict[str, dict]) -> str:
        head = "<tr><th></th><th>tp</th><th>fp</th><th>fn</th><th>P</th><th>R</th>" \
               "<th>F1</th></tr>"
        body = "".join(
            f"<tr><td>{html.escape(k)}</td>" + "".join(
                f"<td>{v[c]}</td>" for c in ("tp", "fp", "fn", "precision", "recall", "f1"))
            + "</tr>" for k, v in rows.items())
        return f"<h2>{html.escape(title)}</h2><table>{head}{body}</table>"

    parts = [f"<h1>Relation evaluation</h1><p>clinagent {html.escape(report['package_version'])}"
             f", git {html.escape(report['git_sha'])}, rules "
             f"{html.escape(report['rules_sha256'])}. Tuned on: "
             f"{html.escape(report['tuned_on'])}.</p>"]
    phee = report.get("phee_dev")
    if phee:
        parts.append(table(f"PHEE dev drug -> adverse effect ({phee['gold_relations']} gold, "
                           f"{phee['sentences']} sentences)",
                           {f"{n} {m}": phee[n][m] for n in ("rules", "baseline")
                            for m in ("overlap", "exact", "overlap_parts_merged")}))
        parts.append("<h2>PHEE assertion accuracy (matched events)</h2><pre>"
                     + html.escape(json.dumps(phee["rules"]["assertion"], indent=1))
                     + "</pre>")
    demo = report["demo"]
    parts.append(table("Demo corpus by type (overlap)",
                       {t: v["overlap"] for t, v in demo["by_type"].items()}))
    parts.append(table("Demo drug-problem links vs nearest-drug baseline (overlap, untyped)",
                       demo["drug_problem_links_overlap"]))
    parts.append(f"<p>Traps linked: rules {demo['traps']['linked_rules']} / "
                 f"{demo['traps']['n']}, baseline {demo['traps']['linked_baseline']} / "
                 f"{demo['traps']['n']}</p>")
    frozen = report.get("frozen")
    if frozen:
        parts.append(table(f"Frozen corpus (blind, never tuned on; {frozen['notes']} notes, "
                           f"{frozen['gold_relations']} gold) by type (overlap)",
                           {t: v["overlap"] for t, v in frozen["by_type"].items()}))
        parts.append(table("Frozen corpus by type (exact)",
                           {t: v["exact"] for t, v in frozen["by_type"].items()}))
        parts.append(table("Frozen drug-problem links vs nearest-drug baseline (overlap, "
                           "untyped)", frozen["drug_problem_links_overlap"]))
        parts.append(f"<p>Frozen traps linked: rules {frozen['traps']['linked_rules']} / "
                     f"{frozen['traps']['n']}, baseline {frozen['traps']['linked_baseline']}"
                     f" / {frozen['traps']['n']}</p>")
    style = "<style>body{font-family:sans-serif}td,th{padding:2px 8px;border:1px solid #ccc}" \
            "table{border-collapse:collapse}</style>"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Relations"
            f"</title>{style}</head><body>{''.join(parts)}</body></html>\n")
