"""The re-identification risk report of a de-identified corpus (``clinagent privacy
report``): quasi-identifiers found, equivalence classes, k-anonymity, l-diversity,
prosecutor / journalist / marketer risk as released and under a policy, plots, and the
least generalization of the lattice that brings the risk under the threshold."""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections import Counter
from pathlib import Path

from agent.privacy.policy import ReleasePolicy, load_policies
from agent.privacy.quasi_identifiers import (
    PatientQI,
    patient_qis,
    principal_category,
    read_release,
)
from agent.privacy.risk import (
    LATTICE,
    QIRow,
    code_and_category_counts,
    generalize_row,
    measure,
    node_of_policy,
    search_lattice,
)
from agent.privacy.settings import PrivacySettings
from agent.version import package_version

AS_RELEASED = {"age": "exact", "zip": "zip3", "years": "keep", "diagnosis": "keep"}


def rows_of(qis: list[PatientQI]) -> list[QIRow]:
    """The QI table of a corpus's patients."""
    return [QIRow(age=q.age, sex=q.sex, zip3=q.zip3, years=q.years, codes=q.codes) for q in qis]


def sensitive_of(qis: list[PatientQI], attribute: str) -> list[str]:
    """Each patient's sensitive value for l-diversity."""
    if attribute == "diagnosis_category":
        return [principal_category(q) for q in qis]
    return [str(getattr(q, attribute) or "unknown") for q in qis]


def risk_at(rows: list[QIRow], node: dict[str, str], settings: PrivacySettings,
            sensitive: list[str]) -> dict:
    """The risk summary of the table generalized to ``node``, with its class sizes."""
    counts = code_and_category_counts(rows)
    keys = [generalize_row(r, node, category_counts=counts,
                           rare_threshold=settings.rare_code_threshold) for r in rows]
    summary = measure(keys, sensitive=sensitive, k_threshold=settings.k_threshold,
                      population_size=settings.population_size)
    sizes = Counter(keys)
    return {"node": node, "risk": summary.as_dict(),
            "class_size_per_record": sorted(sizes[k] for k in keys)}


def build_report(path: str | Path, *, policy: ReleasePolicy | None,
                 settings: PrivacySettings) -> dict:
    """The report of one de-identified file.

    Args:
        path: ``clinagent deid`` output (JSON Lines).
        policy: the policy to evaluate on the table (None: the as-released table only).
        settings: thresholds, population size, sensitive attribute.

    Raises:
        InputError: the file is missing or not de-identified output.
    """
    records = read_release(path)
    qis = patient_qis(records)
    rows = rows_of(qis)
    sensitive = sensitive_of(qis, settings.sensitive_attribute)
    counts = Counter(c for q in qis for c in q.codes)
    policies = load_policies(settings.policy_file)
    report: dict = {
        "provenance": {
            "package_version": package_version(),
            "input_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            "policies_sha256": policies.sha256,
            "release_policies_found": sorted({q.policy for q in qis if q.policy}),
        },
        "settings": settings.model_dump(),
        "patients": len(qis), "notes": len(records),
        "is_grouped_by_patient": any(not q.patient_ref.startswith("note:") for q in qis),
        "qi_coverage": {
            "age": _share(q.age is not None for q in qis),
            "sex": _share(q.sex is not None for q in qis),
            "zip3": _share(q.zip3 is not None for q in qis),
            "years": _share(bool(q.years) for q in qis),
            "codes": _share(bool(q.codes) for q in qis),
            "occupation": _share(q.occupation is not None for q in qis),
            "country": _share(q.country is not None for q in qis),
        },
        "rare_codes": sorted(c for c, n in counts.items() if n < settings.rare_code_threshold),
        "as_released": risk_at(rows, AS_RELEASED, settings, sensitive),
    }
    if policy is not None:
        report["policy"] = {"label": policy.label, **policy.model_dump()}
        report["after_policy"] = risk_at(rows, node_of_policy(policy), settings, sensitive)
    best, nodes = search_lattice(rows, max_risk=settings.max_prosecutor_risk,
                                 k_threshold=settings.k_threshold,
                                 rare_threshold=settings.rare_code_threshold,
                                 population_size=settings.population_size,
                                 sensitive=sensitive,
                                 max_suppressed=settings.max_suppressed_share)
    report["lattice"] = {
        "levels": {k: list(v) for k, v in LATTICE.items()},
        "max_prosecutor_risk": settings.max_prosecutor_risk,
        "max_suppressed_share": settings.max_suppressed_share,
        "best": None if best is None else {
            "node": best.node, "loss": round(best.loss, 4),
            "suppressed_share": round(best.suppressed_share, 4),
            "risk_after_suppression": best.risk_after_suppression.as_dict()},
        "nodes": [{"node": x.node, "loss": round(x.loss, 4), "k_min": x.risk.k_min,
                   "prosecutor_highest": round(x.risk.prosecutor_highest, 4),
                   "share_below_k": round(x.risk.share_below_k, 4),
                   "suppressed_share": round(x.suppressed_share, 4),
                   "prosecutor_after_suppression": None if x.risk_after_suppression is None
                   else round(x.risk_after_suppression.prosecutor_highest, 4),
                   "meets": x.risk_after_suppression is not None
                   and x.risk_after_suppression.prosecutor_highest
                   <= settings.max_prosecutor_risk} for x in nodes],
        "policies_meeting": sorted(
            p.label for p in policies.policies.values()
            if next(x for x in nodes if x.node == node_of_policy(p)) in _meeting(nodes,
                                                                                 settings)),
    }
    return report


def _meeting(nodes, settings: PrivacySettings) -> list:
    return [x for x in nodes if x.risk_after_suppression is not None
            and x.risk_after_suppression.prosecutor_highest <= settings.max_prosecutor_risk]


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def summary_lines(report: dict) -> list[str]:
    """The report as a few lines of text (what the command prints)."""
    lines = [f"{report['patients']} patient(s), {report['notes']} note(s); QIs found: "
             + ", ".join(f"{k} {v:.0%}" for k, v in report["qi_coverage"].items())]
    if not report["is_grouped_by_patient"]:
        lines.append("warning: no release.patient_ref in the input: each note counted as a "
                     "patient (de-identify with a release policy to group notes)")
    parts = [("as released", report["as_released"])]
    if "after_policy" in report:
        parts.append((f"policy {report['policy']['label']}", report["after_policy"]))
    for label, part in parts:
        r = part["risk"]
        lines.append(
            f"{label:<24} k={r['k_min']:<3} k<{r['k_threshold']}: {r['share_below_k']:.1%}  "
            f"uniques {r['sample_uniques']:.1%}  prosecutor max {r['prosecutor_highest']:.2f} "
            f"avg {r['prosecutor_average']:.3f}  journalist max {r['journalist_highest']:.2f}"
            f"  l={r['l_distinct']}")
    best = report["lattice"]["best"]
    if best is None:
        lines.append(f"no generalization of the lattice brings the highest prosecutor risk "
                     f"under {report['lattice']['max_prosecutor_risk']} with at most "
                     f"{report['lattice']['max_suppressed_share']:.0%} of records suppressed")
    else:
        node = ", ".join(f"{k}={v}" for k, v in best["node"].items())
        lines.append(f"least generalization with prosecutor risk <= "
                     f"{report['lattice']['max_prosecutor_risk']}: {node}, "
                     f"{best['suppressed_share']:.1%} of records suppressed "
                     f"(k={best['risk_after_suppression']['k_min']}, "
                     f"loss {best['loss']:.2f})")
    meeting = report["lattice"]["policies_meeting"]
    lines.append("packaged policies meeting it: " + (", ".join(meeting) or "none"))
    return lines


def _plots(report: dict) -> list[tuple[str, str]]:
    """(title, base64 PNG) pairs."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    parts = [("as released", report["as_released"])]
    if "after_policy" in report:
        parts.append((report["policy"]["label"], report["after_policy"]))
    out = []
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for label, part in parts:
        sizes = [min(s, 20) for s in part["class_size_per_record"]]
        ax.hist(sizes, bins=range(1, 22), alpha=0.6, label=label)
    ax.axvline(report["as_released"]["risk"]["k_threshold"], color="red", linestyle="--",
               label="k threshold")
    ax.set_xlabel("size of the record's equivalence class (20 = 20 or more)")
    ax.set_ylabel("patients")
    ax.legend()
    out.append(("Equivalence class size per patient", _png(fig, plt)))
    fig, ax = plt.subplots(figsize=(6, 3.2))
    measures = ["share_below_k", "sample_uniques", "prosecutor_average", "journalist_average"]
    width = 0.8 / len(parts)
    for i, (label, part) in enumerate(parts):
        ax.bar([j + i * width for j in range(len(measures))],
               [part["risk"][m] for m in measures], width=width, label=label)
    ax.set_xticks([j + width * (len(parts) - 1) / 2 for j in range(len(measures))])
    ax.set_xticklabels(["k < threshold", "sample uniques", "avg prosecutor",
                        "avg journalist"], fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend()
    out.append(("Risk measures", _png(fig, plt)))
    fig, ax = plt.subplots(figsize=(6, 3.2))
    # Green (drawn last, on top): the node meets the threshold once the records of too
    # small classes are suppressed (within the limit); its risk is then the one plotted.
    for meets, color in ((False, "tab:gray"), (True, "tab:green")):
        pts = [n for n in report["lattice"]["nodes"] if n["meets"] is meets]
        ax.scatter([n["loss"] for n in pts],
                   [n["prosecutor_after_suppression"] if meets else n["prosecutor_highest"]
                    for n in pts], s=14, c=color,
                   label="meets it" if meets else "does not")
    ax.axhline(report["lattice"]["max_prosecutor_risk"], color="red", linestyle="--")
    ax.set_xlabel("information loss (lattice height)")
    ax.set_ylabel("highest prosecutor risk")
    ax.legend()
    out.append(("Generalization lattice", _png(fig, plt)))
    return out


def _png(fig, plt) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_html(report: dict) -> str:
    """A self-contained HTML page (plots embedded; QI values and codes only, no text)."""
    esc = html.escape
    rows = []
    parts = [("as released", report["as_released"])]
    if "after_policy" in report:
        parts.append((report["policy"]["label"], report["after_policy"]))
    keys = list(parts[0][1]["risk"])
    head = "".join(f"<th>{esc(label)}</th>" for label, _ in parts)
    for k in keys:
        rows.append(f"<tr><td>{esc(k)}</td>" + "".join(
            f"<td>{esc(str(p['risk'][k]))}</td>" for _, p in parts) + "</tr>")
    plots = "".join(f"<h3>{esc(t)}</h3><img alt='{esc(t)}' src='data:image/png;base64,{b}'>"
                    for t, b in _plots(report))
    text = "".join(f"<li>{esc(line)}</li>" for line in summary_lines(report))
    prov = "".join(f"<li>{esc(k)}: {esc(str(v))}</li>"
                   for k, v in report["provenance"].items())
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Re-identification risk report</title></head><body>"
        "<h1>Re-identification risk report</h1>"
        f"<ul>{text}</ul><h2>Measures</h2><table border='1'><tr><th>measure</th>{head}</tr>"
        f"{''.join(rows)}</table><h2>Plots</h2>{plots}<h2>Provenance</h2><ul>{prov}</ul>"
        "<p>Formulas: see agent/privacy/risk.py (ARX's prosecutor, journalist and marketer "
        "risk).</p></body></html>")
