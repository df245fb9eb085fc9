"""HTML report, headline table and the BERTScore-style scorer of ``evals.faithfulness``.

The ``bert_score`` package is not installed; the scorer here follows its algorithm (greedy
cosine matching of contextual token embeddings, F1 of precision and recall; no idf weights,
no baseline rescaling) with the packaged all-MiniLM-L6-v2 (offline), one sentence at a time
so long notes are not cut at 256 tokens. Its values are not comparable with published
BERTScore numbers (other model, no rescaling); compare systems with each other only.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import re

from retrieval.embedder import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

_SENT = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


def bertscore_fn():
    """(scorer, description): scorer(hyps, refs) -> mean P/R/F1, or (None, why not)."""
    try:
        import numpy as np
    except ImportError as e:
        return None, f"not available: {e}"
    try:
        model = SentenceTransformerEmbedder()._model
    except Exception as e:  # noqa: BLE001 - any load failure means "not available"
        return None, f"not available: MiniLM did not load offline ({type(e).__name__})"

    def tokens(text: str):
        pieces = [m.group().strip() for m in _SENT.finditer(text) if m.group().strip()]
        if not pieces:
            return np.zeros((0, 384), dtype=np.float32)
        embs = model.encode(pieces, output_value="token_embeddings", show_progress_bar=False)
        mats = [e.cpu().numpy()[1:-1] for e in embs]  # drop [CLS] and [SEP]
        mat = np.concatenate([m for m in mats if len(m)] or [np.zeros((0, 384))])
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        return mat / np.maximum(norms, 1e-9)

    def score(hyps: list[str], refs: list[str]) -> dict:
        ps, rs, fs = [], [], []
        for h, r in zip(hyps, refs, strict=True):
            a, b = tokens(h), tokens(r)
            if not len(a) or not len(b):
                ps.append(0.0)
                rs.append(0.0)
                fs.append(0.0)
                continue
            sim = a @ b.T
            p, rc = float(sim.max(axis=1).mean()), float(sim.max(axis=0).mean())
            ps.append(p)
            rs.append(rc)
            fs.append(2 * p * rc / (p + rc) if p + rc else 0.0)
        n = max(len(fs), 1)
        return {"precision": round(sum(ps) / n, 4), "recall": round(sum(rs) / n, 4),
                "f1": round(sum(fs) / n, 4)}

    return score, ("BERTScore algorithm with all-MiniLM-L6-v2 token embeddings (no idf, no "
                   "rescaling); the bert_score package is not installed")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(report: dict) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    demo = report.get("demo")
    if demo:
        kinds = list(demo["per_kind"])
        fig, ax = plt.subplots(figsize=(8, 3.2))
        vals = [demo["per_kind"][k]["flag_rate"] or 0 for k in kinds]
        colors = ["tab:green" if k == "correct" else "tab:red" for k in kinds]
        ax.bar(kinds, vals, color=colors)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("flagged")
        ax.set_title("Demo planted corpus: share flagged per kind (correct = false flags)")
        ax.tick_params(axis="x", rotation=45)
        out.append(("Planted corpus", _png(fig)))
        plt.close(fig)
    medec = report.get("medec")
    if medec:
        fig, ax = plt.subplots(figsize=(7, 3))
        labels, vals = [], []
        for level in ("text_level", "sentence_level"):
            for policy in ("strict", "loose"):
                for m in ("precision", "recall", "f1"):
                    labels.append(f"{level.split('_')[0]}/{policy}/{m[0].upper()}")
                    vals.append(medec[level][policy][m] or 0)
        ax.bar(labels, vals, color="tab:blue")
        ax.set_ylim(0, 1.05)
        ax.tick_params(axis="x", rotation=60)
        ax.set_title("MEDEC-MS: error detection (strict = CONTRADICTED only)")
        out.append(("MEDEC", _png(fig)))
        plt.close(fig)
    sets = [report[k] for k in ("aci", "mts") if report.get(k)]
    if sets:
        fig, ax = plt.subplots(figsize=(7, 3))
        metrics = ["rougeL_f", "bertscore_f1", "supported_rate", "contradicted_rate"]
        width = 0.8 / len(sets)
        for i, s in enumerate(sets):
            bs = s["bertscore"]
            vals = [s["rougeL_f"] or 0, bs["f1"] if isinstance(bs, dict) else 0,
                    s["supported_rate"] or 0, s["contradicted_rate"] or 0]
            ax.bar([j + i * width for j in range(len(metrics))], vals, width, label=s["set"])
        ax.set_xticks([j + width * (len(sets) - 1) / 2 for j in range(len(metrics))], metrics)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8)
        ax.set_title("Dialogue sets: baseline vs reference; reference facts vs dialogue")
        out.append(("ACI-bench / MTS-Dialog", _png(fig)))
        plt.close(fig)
    return out


def write_html(report: dict, path) -> None:
    """One self-contained HTML page: headline, plots (base64 PNG), the full JSON."""
    imgs = "".join(f"<h2>{html.escape(t)}</h2><img src='data:image/png;base64,{b}'>"
                   for t, b in _plots(report))
    body = json.dumps({k: v for k, v in report.items()}, indent=1)
    page = ("<!doctype html><meta charset='utf-8'><title>clinagent faithfulness</title>"
            "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto}"
            "pre{background:#f4f4f4;padding:1em;overflow:auto;font-size:12px}</style>"
            f"<h1>clinagent verifier: faithfulness</h1><pre>{html.escape(headline(report))}"
            f"</pre>{imgs}<h2>Report</h2><pre>{html.escape(body)}</pre>")
    path.write_text(page, encoding="utf-8")


def headline(report: dict) -> str:
    """The numbers a reader looks for, one line each."""
    lines = [f"git {report['git_sha']}  clinagent {report['package_version']}  "
             f"seconds {report['seconds']}"]
    d = report.get("demo")
    if d:
        lines.append(f"demo planted: {d['errors']} errors, {d['correct']} correct; detection "
                     f"{d['detection_rate']}, false flags {d['false_flag_rate']}, reason "
                     f"accuracy {d['reason_accuracy']}, not checkable {d['not_checkable_rate']}")
    m = report.get("medec")
    if m:
        for policy in ("strict", "loose"):
            t, s = m["text_level"][policy], m["sentence_level"][policy]
            lines.append(f"MEDEC {policy} ({m['texts']} texts): text acc {t['accuracy']} "
                         f"P {t['precision']} R {t['recall']}; error sentence P "
                         f"{s['precision']} R {s['recall']}")
        lines.append(f"MEDEC majority-class text accuracy "
                     f"{m['text_level']['majority_baseline_accuracy']}")
    for key in ("aci", "mts"):
        s = report.get(key)
        if s:
            bs = s["bertscore"]
            lines.append(f"{s['set']} ({s['n']}): ROUGE-L {s['rougeL_f']}, BERTScore-MiniLM F1 "
                         f"{bs['f1'] if isinstance(bs, dict) else bs}; reference sentences "
                         f"supported {s['supported_rate']}, contradicted "
                         f"{s['contradicted_rate']}, unsupported {s['unsupported_rate']}")
    return "\n".join(lines)
