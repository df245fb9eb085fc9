"""Adversarial de-identification test: identifiers of kinds and shapes the recognizers were
not written for, planted into real-looking notes with gold offsets, and the leak rate per
kind of clinagent, Presidio and philter-lite on the same notes.

Usage::

    clinagent eval deid --adversarial [--system NAME]... [--out evals/reports/deid_adversarial.json]
    python -m evals.deid_adversarial [--notes 60] [--systems clinagent,presidio,philter]

This is a test, not a tuning set: the recognizers must never be tuned on it. A planted value
leaks unless every letter and digit of it lies inside a detected span (the leak-proof rule
of ``evals.deid``: "Anna S." with "Anna" found still leaks "S."). Deterministic per seed.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from evals.deid import SYSTEMS, Doc
from evals.run import git_sha

SEED = 424242

# Every value below is invented for this test.
_HOSPITALS = ("Brackwater Mercy", "the Ostrander Kinderhaus", "Vellacourt Wellness Pavilion",
              "Saint Odile Infirmary of Marrowby", "Quillfeather Polyclinic",
              "Hesketh-Lowry Treatment House", "Pell Hollow Birthing Suites",
              "Yarrowmere Sanatorium", "Caddenbrook Kidney Rooms", "Thistlegate Day Surgery")
_FOREIGN = ("Nguyễn Thị Hương", "Oluwaseun Adebayo", "Søren Kjærgaard", "Mbali Dlamini",
            "Xiaoling Zhou", "Tadeusz Wróblewski", "Aoife Ní Bhriain", "Gaurav Raghunathan",
            "Chidera Eze", "Björn Åkesson", "Yerlan Nurpeisov", "Itzel Xochitl Cuauhtli")
_HYPHEN = ("Anne-Marie Dupont-Laurent", "Jean-Baptiste Okoro-Hale", "Mary-Kate Ellison-Burke",
           "Li-Wei Tan-Morrison", "Hans-Peter Vogel-Strand", "Sun-Hee Park-Whitlock")
_PLAIN = ("Hugo Baptiste", "Rosalind Quenby", "Delphine Marrow", "Casimir Oakhurst",
          "Wilhelmina Trask", "Ezekiel Fennimore", "Philippa Glasswell", "Ignatius Mowbray",
          "Oksana Hrytsenko", "Bartholomew Crane", "Leocadia Vantongeren", "Thaddeus Pryce")
_MISSPELLED = (("Rosalnid Qeunby", "Rosalind Quenby"), ("Hgo Baptistte", "Hugo Baptiste"),
               ("Delfine Marow", "Delphine Marrow"), ("Wilhemina Traask", "Wilhelmina Trask"))
_CLINICAL = (
    "Assessment: CHF exacerbation, improving on IV furosemide. Continue metoprolol.",
    "Plan: repeat BMP in AM, strict I/O, daily weights, fluid restriction 1.5 L.",
    "Exam: lungs with bibasilar crackles, 1+ edema bilaterally, no JVD.",
    "Labs: Na 136, K 4.2, Cr 1.1, Hgb 11.8, WBC 7.2.",
    "Pain controlled with acetaminophen 650 mg q6h PRN.",
    "Tolerating diet. Ambulating with walker and PT.",
)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _name(rng: random.Random) -> str:
    return rng.choice(_PLAIN)


# Each planter returns (text, [(start, end) of every planted value in that text]).
Planter = Callable[[random.Random], tuple[str, list[tuple[int, int]]]]


def _plant(template: str, *values: str) -> tuple[str, list[tuple[int, int]]]:
    """``template`` with ``{0}``, ``{1}``... filled, and the offsets of each value."""
    out, spans, pos = [], [], 0
    parts = template.split("{")
    out.append(parts[0])
    pos = len(parts[0])
    for part in parts[1:]:
        idx, rest = part.split("}", 1)
        value = values[int(idx)]
        spans.append((pos, pos + len(value)))
        out.append(value + rest)
        pos += len(value) + len(rest)
    return "".join(out), spans


def _unseen_hospital(rng):
    return _plant(rng.choice(("Transferred from {0} for higher level of care.",
                              "Previously followed at {0} until last spring.",
                              "Records requested from {0}; not yet received.")),
                  rng.choice(_HOSPITALS))


def _trial_id(rng):
    nct = "NCT" + _digits(rng, 8)
    return _plant(rng.choice(("Enrolled in {0} (apixaban arm) since enrollment visit.",
                              "Study: {0}. Coordinator aware of admission.",
                              "pt is on trial {0}, hold study drug")), nct)


def _foreign_name(rng):
    return _plant(rng.choice(("Spoke with daughter {0} who will visit tonight.",
                              "Interpreter present; son {0} at bedside.",
                              "Emergency contact: {0} (sister).")), rng.choice(_FOREIGN))


def _hyphenated_name(rng):
    return _plant(rng.choice(("Seen with PCP Dr. {0} in clinic.",
                              "Discussed with {0}, NP, who agrees.",
                              "Wife {0} reports poor appetite.")), rng.choice(_HYPHEN))


def _all_caps_name(rng):
    return _plant(rng.choice(("PT RESTING. DAUGHTER {0} CALLED FOR UPDATE.",
                              "NOTIFIED DR {0} OF K 5.9.",
                              "SON {0} AT BEDSIDE, QUESTIONS ANSWERED.")),
                  _name(rng).upper())


def _lower_case_name(rng):
    return _plant(rng.choice(("spoke w/ wife {0} by phone, she agrees w/ plan",
                              "per husband {0}, pt fell twice last week",
                              "msg left for {0} re: pickup time")), _name(rng).lower())


def _split_line(rng):
    first, last = _name(rng).split()
    mrn = _digits(rng, 7)
    kind = rng.randrange(3)
    if kind == 0:
        return _plant("Patient: {0} MRN pending.", f"{first}\n{last}")
    if kind == 1:
        return _plant("Call back number: ({0}", f"617) 555-\n{_digits(rng, 4)}")
    return _plant("MRN: {0}; bed 4B.", f"{mrn[:3]}-\n{mrn[3:]}")


def _table(rng):
    name, mrn = _name(rng), _digits(rng, 7)
    dob = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/19{rng.randint(30, 99)}"
    return _plant("| Name | MRN | DOB |\n|---|---|---|\n| {0} | {1} | {2} |", name, mrn, dob)


def _list(rng):
    a, b = rng.sample(_PLAIN, 2)
    return _plant("Contacts:\n- {0} (daughter)\n- {1} (neighbor, has key)", a, b)


def _misspelled(rng):
    wrong, _ = rng.choice(_MISSPELLED)
    return _plant(rng.choice(("Pateint: {0}", "Spoke with dtr {0} re: discharge.",
                              "Attending: Dr {0}")), wrong)


def _run_together(rng):
    first, last = _name(rng).split()
    mrn = _digits(rng, 7)
    return _plant(rng.choice(("Name:{0};MRN#{1}", "(pt:{0}/mrn{1})")), f"{first}{last}", mrn)


def _unusual_date(rng):
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2025, 2026))
    roman = "I II III IV V VI VII VIII IX X XI XII".split()[m - 1]
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    value = rng.choice((f"{d}.{roman}.{y}", f"{y}{m:02d}{d:02d}", f"{d}{months[m - 1]}{y}",
                        f"{months[m - 1].upper()}-{d:02d}-{str(y)[2:]}",
                        f"the {d}{_ordinal(d)} day of {months[m - 1]}, {y}"))
    return _plant(rng.choice(("Admitted {0} via ED.", "Last colonoscopy {0}, normal.",
                              "Surgery scheduled {0}.")), value)


def _ordinal(day: int) -> str:
    return "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _age_words(rng):
    value = rng.choice(("ninety-three-year-old", "ninety-one year old", "one hundred and two",
                        "ninety-seven", "ninety six"))
    return _plant(rng.choice(("A {0} woman admitted with sepsis.",
                              "Pt is {0} and lives alone.")), value)


def _email(rng):
    user = _name(rng).lower().replace(" ", ".")
    value = rng.choice((f"{user} at gmail dot com", f"{user}[at]example[dot]org",
                        f"{user.upper()}@EXAMPLE.ORG", f"{user}(at)mailbox.example.net"))
    return _plant("Prefers contact by email: {0}", value)


def _url(rng):
    value = rng.choice((f"hxxps://portal.example-health.org/pt/{_digits(rng, 6)}",
                        f"www.{_name(rng).split()[1].lower()}family.net",
                        f"portal.example.org/p?id={_digits(rng, 7)}"))
    return _plant("Family set up a page at {0} for updates.", value)


def _ip(rng):
    value = rng.choice((f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                        f"fe80::{rng.randrange(4096):x}:fe23:4567:890a",
                        f"192.168.{rng.randrange(256):03d}.{rng.randrange(256):03d}"))
    return _plant("Home monitor uploads from {0} nightly.", value)


def _device_serial(rng):
    value = rng.choice((f"PJN{_digits(rng, 6)}H", f"4P-{_digits(rng, 4)}-11X",
                        f"8HK{_digits(rng, 2)}QX", f"G{_digits(rng, 3)}-{_digits(rng, 5)}"))
    return _plant(rng.choice(("Pacemaker interrogated, generator {0}, normal function.",
                              "Insulin pump {0} site changed.", "CGM transmitter {0} replaced.")),
                  value)


KINDS: dict[str, Planter] = {
    "unseen_hospital": _unseen_hospital, "trial_id": _trial_id, "foreign_name": _foreign_name,
    "hyphenated_name": _hyphenated_name, "all_caps_name": _all_caps_name,
    "lower_case_name": _lower_case_name, "split_across_lines": _split_line, "table": _table,
    "list": _list, "misspelled": _misspelled, "run_together": _run_together,
    "unusual_date": _unusual_date, "age_in_words": _age_words, "email_variant": _email,
    "url_variant": _url, "ip_variant": _ip, "device_serial": _device_serial,
}


def generate(n_notes: int = 60, *, seed: int = SEED) -> tuple[list[Doc], dict[str, str]]:
    """Planted notes and the kind of each gold span (keyed ``doc_id:start``).

    Each note: a header, clinical sentences and five planted passages of different kinds;
    every kind is planted the same number of times (round robin).
    """
    rng = random.Random(seed)
    names = list(KINDS)
    docs, kind_of = [], {}
    k = 0
    for i in range(n_notes):
        doc_id = f"adv-{i:03d}"
        text = "PROGRESS NOTE\n\n"
        gold: list[tuple[int, int, str]] = []
        for _ in range(5):
            kind = names[k % len(names)]
            k += 1
            piece, spans = KINDS[kind](rng)
            text += rng.choice(_CLINICAL) + "\n"
            for s, e in spans:
                gold.append((len(text) + s, len(text) + e, kind))
                kind_of[f"{doc_id}:{len(text) + s}"] = kind
            text += piece + "\n"
        text += rng.choice(_CLINICAL) + "\n"
        docs.append(Doc(doc_id, doc_id, text, [(s, e, "PHI") for s, e, _ in gold],
                        date="2026-03-14"))
    return docs, kind_of


def leaks(docs: list[Doc], pred: dict[str, list[tuple[int, int, str]]],
          kind_of: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per kind: planted values and leaked ones (a letter or digit outside predictions)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"planted": 0, "leaked": 0})
    for d in docs:
        p = pred.get(d.doc_id, [])
        for s, e, _ in d.gold:
            kind = kind_of[f"{d.doc_id}:{s}"]
            inside = all(any(a <= i < b for a, b, _ in p)
                         for i in range(s, e) if d.text[i].isalnum())
            out[kind]["planted"] += 1
            out[kind]["leaked"] += not inside
    return dict(out)


def over_redaction(docs: list[Doc], pred: dict[str, list[tuple[int, int, str]]]) -> float:
    """Share of the letters and digits outside every planted value that a system removed
    (a system that redacts everything leaks nothing: this is the price it pays)."""
    removed = total = 0
    for d in docs:
        gold = [(s, e) for s, e, _ in d.gold]
        p = pred.get(d.doc_id, [])
        for i, ch in enumerate(d.text):
            if ch.isalnum() and not any(s <= i < e for s, e in gold):
                total += 1
                removed += any(a <= i < b for a, b, _ in p)
    return removed / total if total else 0.0


def run_adversarial(*, out: Path, systems: list[str], n_notes: int = 60) -> dict:
    """Run every system on the planted notes; print the leak table; write the report."""
    docs, kind_of = generate(n_notes)
    report: dict = {"git_sha": git_sha(), "seed": SEED, "notes": len(docs),
                    "rule": "a value leaks unless every letter and digit is detected",
                    "systems": {}}
    for name in systems:
        t0 = time.perf_counter()
        pred = SYSTEMS[name]()(docs)
        per_kind = leaks(docs, pred, kind_of)
        planted = sum(v["planted"] for v in per_kind.values())
        leaked = sum(v["leaked"] for v in per_kind.values())
        report["systems"][name] = {
            "overall_leak_rate": round(leaked / planted, 4), "planted": planted,
            "leaked": leaked, "seconds": round(time.perf_counter() - t0, 1),
            "over_redaction": round(over_redaction(docs, pred), 4),
            "by_kind": {k: {**v, "leak_rate": round(v["leaked"] / v["planted"], 4)}
                        for k, v in sorted(per_kind.items())}}
    _print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nreport -> {out}")
    return report


def _print(report: dict) -> None:
    names = list(report["systems"])
    print(f"leak rate per kind ({report['notes']} notes; {report['rule']})")
    print(f"{'kind':<20}" + "".join(f"{n:>12}" for n in names))
    kinds = sorted({k for s in report["systems"].values() for k in s["by_kind"]})
    for k in kinds:
        cells = []
        for n in names:
            v = report["systems"][n]["by_kind"].get(k)
            cells.append(f"{v['leaked']}/{v['planted']}" if v else "-")
        print(f"{k:<20}" + "".join(f"{c:>12}" for c in cells))
    print(f"{'overall':<20}" + "".join(
        f"{report['systems'][n]['overall_leak_rate']:>12.1%}" for n in names))
    print(f"{'over-redaction':<20}" + "".join(
        f"{report['systems'][n]['over_redaction']:>12.1%}" for n in names))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=60)
    ap.add_argument("--systems", default="clinagent,presidio,philter")
    ap.add_argument("--out", type=Path, default=Path("evals/reports/deid_adversarial.json"))
    args = ap.parse_args(argv)
    run_adversarial(out=args.out, systems=args.systems.split(","), n_notes=args.notes)


if __name__ == "__main__":
    main()
