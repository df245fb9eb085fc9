"""A generated corpus for cohort evaluation: the trial scenario "type 2 diabetes with
neuropathy or retinopathy, on metformin now, HbA1c above 8, no insulin", with the traps
that text search and code-only matching fall into (negated, family history, ruled out,
resolved, historical, stopped drugs, HbA1c in mmol/mol).

The gold comes from the generator's own choices per patient, never from the extractor.
``python -m evals.cohort_corpus`` writes ``evals/data/cohorts/generated/notes.jsonl`` and
``gold.json`` (seeded: the same files every time).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

OUT_DIR = Path("evals/data/cohorts/generated")
SEED = 20261207
PATIENTS = 400

# Each feature of a patient: "present" (the patient's own, current) or a trap.
DM_STATES = ("present", "present", "present", "family", "negated", "type1", "prediabetes")
COMPLICATION_STATES = ("present", "present", "negated", "family", "ruled_out", "resolved",
                       "historical", "none", "none")
MET_STATES = ("current", "current", "stopped", "none")
INSULIN_STATES = ("current", "stopped", "none", "none", "none")

_NEURO_PRESENT = ("diabetic peripheral neuropathy", "peripheral neuropathy",
                  "diabetic polyneuropathy")
_RETINO_PRESENT = ("diabetic retinopathy", "nonproliferative diabetic retinopathy",
                   "background diabetic retinopathy")
_DM_NAMES = ("type 2 diabetes mellitus", "type 2 diabetes", "DM2", "T2DM")


@dataclass
class Patient:
    """The choices made for one patient (the gold is read from them)."""

    patient_id: str
    dm: str
    complication: str
    complication_kind: str
    metformin: str
    insulin: str
    a1c: float
    a1c_in_mmol: bool
    notes: list[dict] = field(default_factory=list)

    @property
    def has_t2dm(self) -> bool:
        return self.dm == "present"

    @property
    def has_microvascular(self) -> bool:
        return self.complication == "present"


def _a1c_text(p: Patient) -> str:
    if p.a1c_in_mmol:
        # IFCC units: mmol/mol = (NGSP % - 2.15) x 10.929
        return f"HbA1c {round((p.a1c - 2.15) * 10.929):d} mmol/mol"
    return f"HbA1c {p.a1c:.1f}%"


def _pmh(p: Patient, rng: random.Random) -> list[str]:
    out = []
    name = rng.choice(_DM_NAMES)
    if p.dm == "present":
        out.append(f"- {name[0].upper() + name[1:]}, diagnosed {rng.randint(2008, 2022)}")
    elif p.dm == "type1":
        out.append("- Type 1 diabetes mellitus since childhood, on insulin")
    elif p.dm == "prediabetes":
        out.append("- Prediabetes, diet controlled")
    out.append(rng.choice(("- Hypertension", "- Hyperlipidemia", "- Osteoarthritis of knees",
                           "- GERD")))
    if p.complication == "historical":
        word = "retinopathy" if p.complication_kind == "retinopathy" else "neuropathy"
        out.append(f"- History of {word} in {rng.randint(2005, 2015)}, none since")
    return out


def _complication_sentence(p: Patient, rng: random.Random) -> str:
    kind = p.complication_kind
    if p.complication == "present":
        term = rng.choice(_NEURO_PRESENT if kind == "neuropathy" else _RETINO_PRESENT)
        return f"Reduced monofilament sensation in both feet, consistent with {term}." \
            if kind == "neuropathy" \
            else f"Dilated eye exam shows {term}."
    if p.complication == "negated":
        return "Monofilament sensation intact; no peripheral neuropathy." \
            if kind == "neuropathy" else "Dilated eye exam: no retinopathy."
    if p.complication == "ruled_out":
        return "Neuropathy was ruled out by nerve conduction study." \
            if kind == "neuropathy" else "Retinopathy was ruled out by the ophthalmologist."
    if p.complication == "resolved":
        return "Peripheral neuropathy from B12 deficiency, resolved after repletion." \
            if kind == "neuropathy" else \
            "Retinopathy of prematurity in infancy, resolved."
    return "Feet: normal monofilament testing." if kind == "neuropathy" \
        else "Vision stable, eye exam up to date."


def _family(p: Patient) -> str:
    parts = []
    if p.dm == "family":
        parts.append("mother with type 2 diabetes")
    if p.complication == "family":
        parts.append("father with diabetic retinopathy" if p.complication_kind ==
                     "retinopathy" else "father with diabetic neuropathy")
    parts.append("brother with hypertension")
    return "Family History: " + "; ".join(parts) + "."


def _meds(p: Patient, rng: random.Random) -> list[str]:
    out = []
    if p.metformin in ("current", "stopped"):
        out.append(f"- metformin {rng.choice((500, 850, 1000))} mg PO BID")
    if p.insulin in ("current", "stopped") or p.dm == "type1":
        out.append(f"- insulin glargine {rng.randint(10, 40)} units SQ nightly")
    out.append(rng.choice(("- lisinopril 10 mg PO daily", "- atorvastatin 40 mg PO nightly",
                           "- amlodipine 5 mg PO daily")))
    return out


def _plan(p: Patient, rng: random.Random) -> list[str]:
    out = []
    if p.dm == "present":
        out.append(f"1. {rng.choice(_DM_NAMES)}: {_a1c_text(p)}.")
    elif p.dm == "negated":
        out.append(f"1. No history of diabetes; {_a1c_text(p)}.")
    elif p.dm == "type1":
        out.append(f"1. Type 1 diabetes: {_a1c_text(p)}. Continue basal-bolus insulin.")
    elif p.dm == "prediabetes":
        out.append(f"1. Prediabetes: {_a1c_text(p)}. Lifestyle counselling.")
    else:
        out.append(f"1. Routine screening labs: {_a1c_text(p)}.")
    if p.metformin == "current":
        out.append("2. Continue metformin.")
    elif p.metformin == "stopped":
        out.append("2. Metformin stopped due to GI intolerance.")
    if p.insulin == "current":
        out.append("3. Continue insulin glargine.")
    elif p.insulin == "stopped":
        out.append("3. Insulin glargine discontinued; hypoglycemia resolved.")
    return out


def make_patient(i: int, rng: random.Random, start: date) -> Patient:
    """One patient with its two notes (a visit and a follow-up)."""
    p = Patient(patient_id=f"G{i:04d}", dm=rng.choice(DM_STATES),
                complication=rng.choice(COMPLICATION_STATES),
                complication_kind=rng.choice(("neuropathy", "retinopathy")),
                metformin=rng.choice(MET_STATES), insulin=rng.choice(INSULIN_STATES),
                a1c=round(rng.uniform(6.0, 11.0), 1), a1c_in_mmol=rng.random() < 0.25)
    if p.dm == "type1":
        p.insulin = "current"
    if p.dm in ("negated", "family", "prediabetes"):
        # Without diabetes the HbA1c is normal (or just below the diabetic range).
        p.a1c = round(rng.uniform(5.0, 6.4), 1)
    if p.dm in ("negated", "family"):
        p.metformin = "none"
    if abs(p.a1c - 8.0) < 0.15:
        p.a1c = 8.6
    visit = start + timedelta(days=rng.randint(0, 200))
    lines = ["OUTPATIENT CLINIC NOTE", "",
             "Chief Complaint: " + rng.choice(("routine follow-up", "medication review",
                                               "annual visit")),
             "", "Past Medical History:", *_pmh(p, rng), "", _family(p), "",
             "Medications:", *_meds(p, rng), "", "Physical Exam:",
             _complication_sentence(p, rng), "", "Assessment and Plan:", *_plan(p, rng)]
    p.notes.append({"patient_id": p.patient_id, "note_id": f"{p.patient_id}-01",
                    "note_type": "progress_note", "date": visit.isoformat(),
                    "text": "\n".join(lines) + "\n"})
    follow = visit + timedelta(days=rng.randint(60, 120))
    f_lines = ["FOLLOW-UP NOTE", "", "Interval History: doing well, no hospitalizations.", "",
               "Assessment and Plan:"]
    if p.dm == "present":
        f_lines.append(f"- {rng.choice(_DM_NAMES)}, stable.")
    if p.metformin == "current":
        f_lines.append("- Tolerating metformin.")
    if p.insulin == "current":
        f_lines.append("- Insulin glargine unchanged.")
    f_lines.append("- Return in 6 months.")
    p.notes.append({"patient_id": p.patient_id, "note_id": f"{p.patient_id}-02",
                    "note_type": "progress_note", "date": follow.isoformat(),
                    "text": "\n".join(f_lines) + "\n"})
    return p


def gold_cohorts(patients: list[Patient]) -> dict[str, list[str]]:
    """Patient ids per cohort of :data:`evals.cohort.GENERATED_QUERIES`, from the
    generator's choices."""
    def ids(pred) -> list[str]:
        return sorted(p.patient_id for p in patients if pred(p))

    return {
        "t2dm": ids(lambda p: p.has_t2dm),
        "microvascular": ids(lambda p: p.has_microvascular),
        "t2dm_microvascular": ids(lambda p: p.has_t2dm and p.has_microvascular),
        "metformin_current": ids(lambda p: p.metformin == "current"),
        "hba1c_over_8": ids(lambda p: p.a1c > 8.0),
        "insulin_current": ids(lambda p: p.insulin == "current"),
        "trial": ids(lambda p: p.has_t2dm and p.has_microvascular
                     and p.metformin == "current" and p.a1c > 8.0
                     and p.insulin != "current"),
    }


def generate(n: int = PATIENTS, seed: int = SEED) -> tuple[list[dict], dict]:
    """``(notes, gold)`` of ``n`` patients."""
    rng = random.Random(seed)
    patients = [make_patient(i, rng, date(2025, 1, 1)) for i in range(1, n + 1)]
    notes = [note for p in patients for note in p.notes]
    traps: dict[str, int] = {}
    for p in patients:
        for name, value in (("dm", p.dm), ("complication", p.complication),
                            ("metformin", p.metformin), ("insulin", p.insulin)):
            traps[f"{name}={value}"] = traps.get(f"{name}={value}", 0) + 1
    gold = {"seed": seed, "patients": n, "cohorts": gold_cohorts(patients),
            "features": dict(sorted(traps.items())),
            "a1c_in_mmol": sum(p.a1c_in_mmol for p in patients)}
    return notes, gold


def write(out_dir: Path = OUT_DIR, n: int = PATIENTS, seed: int = SEED) -> tuple[Path, Path]:
    """Write ``notes.jsonl`` and ``gold.json`` into ``out_dir``."""
    notes, gold = generate(n, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes_path, gold_path = out_dir / "notes.jsonl", out_dir / "gold.json"
    notes_path.write_text("".join(json.dumps(x) + "\n" for x in notes), encoding="utf-8")
    gold_path.write_text(json.dumps(gold, indent=1) + "\n", encoding="utf-8")
    return notes_path, gold_path


def main(argv: list[str] | None = None) -> None:
    """``python -m evals.cohort_corpus [--patients N] [--out DIR]``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=PATIENTS)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    notes_path, gold_path = write(args.out, args.patients, args.seed)
    print(f"wrote {notes_path} and {gold_path}")  # noqa: T201


if __name__ == "__main__":
    main()
