"""Privacy evaluation: re-identification risk and a linkage attack on releases of the demo
corpus and a generated corpus of 1,000 patients, before (Safe Harbor de-identification
only) and after generalization under each release policy.

Usage::

    clinagent eval privacy [--patients 1000] [--policy strict] [--out evals/reports/privacy.json]
    python -m evals.privacy [--patients 1000] [--policy strict]

Each corpus is de-identified once (surrogate mode with a fixed evaluation key, so dates are
shifted and ZIPs kept to 3 digits) and released under every packaged policy; the releases
are written as JSON Lines next to the report (``clinagent privacy report`` reads them).
The public table of the attack is the generated population (patients plus four decoys per
patient) or, for the demo corpus, the demo patients' birth dates, sex and ZIPs from the
original notes plus 20 generated decoys per patient in the same 3-digit ZIP areas. The
release passes when the attack re-identifies fewer patients under ``--policy`` than under
Safe Harbor and, on a corpus of at least 100 patients, at most
``privacy.max_linkage_share`` of them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

from agent.deid.batch import PatientDeidentifier
from agent.privacy.linkage import PublicPerson, attack
from agent.privacy.mentions import sex_of_text
from agent.privacy.policy import load_policies
from agent.privacy.quasi_identifiers import patient_qis
from agent.privacy.release import ReleaseGeneralizer
from agent.privacy.report import AS_RELEASED, risk_at, rows_of, sensitive_of
from agent.privacy.settings import PrivacySettings
from agent.schemas.deid import PhiSpan
from agent.schemas.notes import Note
from agent.version import package_version
from evals.privacy_corpus import ZIP3_AREAS, generate
from evals.run import git_sha
from evals.synthetic import load_gold_phi, load_notes

# A fixed key so every run shifts the same dates (an evaluation, not a release).
EVAL_SECRET = b"clinagent-privacy-eval-key-not-for-release"
BEFORE = "safe_harbor"
MIN_PATIENTS_FOR_SHARE = 100


class _CachedDetection(PatientDeidentifier):
    """Detection once per patient, shared by the releases under each policy."""

    cache: dict[tuple[str, ...], list[list[PhiSpan]]]

    def detect_patient(self, notes: list[Note]) -> list[list[PhiSpan]]:
        key = tuple(n.note_id for n in notes)
        if key not in self.cache:
            self.cache[key] = super().detect_patient(notes)
        return self.cache[key]


def _by_patient(notes: list[Note]) -> list[list[Note]]:
    groups: dict[str, list[Note]] = defaultdict(list)
    for n in notes:
        groups[n.patient_id].append(n)
    return list(groups.values())


def release(notes: list[Note], policy_name: str, cache: dict) -> tuple[list[dict], dict]:
    """The notes released under a policy (JSON records) and patient_ref -> patient id."""
    policies = load_policies()
    gen = ReleaseGeneralizer(policies.get(policy_name), policies, secret=EVAL_SECRET)
    deid = _CachedDetection(mode="surrogate", secret=EVAL_SECRET, release=gen)
    deid.cache = cache
    records = []
    refs = {}
    for group in _by_patient(notes):
        refs[gen.patient_ref(group[0].patient_id)] = group[0].patient_id
        records += [r.model_dump(mode="json") for r, _ in deid.run(group)]
    return records, refs


_DOB = re.compile(r"DOB:?\s*(\d{1,2})/(\d{1,2})/(\d{4})|DOB:?\s*(\d{4})-(\d{2})-(\d{2})")


def demo_public(notes: list[Note], *, decoys_per_patient: int = 20, seed: int = 7,
                ) -> tuple[list[PublicPerson], dict[str, str]]:
    """The demo patients as a public table would list them (birth date and sex from their
    notes, ZIP from the gold PHI), plus generated decoys."""
    rng = random.Random(seed)
    gold = load_gold_phi()
    people, who = [], {}
    for group in _by_patient(notes):
        pid = group[0].patient_id
        text = "\n".join(n.text for n in group)
        m = _DOB.search(text)
        if m is None:
            continue  # a patient whose birth date the notes never give is in no voter list
        g = m.groups()
        born = (date(int(g[2]), int(g[0]), int(g[1])) if g[0]
                else date(int(g[3]), int(g[4]), int(g[5])))
        zips = [g.text for n in group for g in gold.get(n.note_id, []) if g.type == "ZIP"]
        zip5 = zips[0] if zips else f"{rng.choice(ZIP3_AREAS)}{rng.randrange(100):02d}"
        people.append(PublicPerson(person_id=f"demo-{pid}", name=f"patient {pid}",
                                   sex=sex_of_text(text) or rng.choice("FM"), birth_date=born,
                                   zip5=zip5))
        who[pid] = f"demo-{pid}"
    # Decoys live in the patients' own 3-digit ZIP areas: a voter list of the region.
    areas = sorted({p.zip5[:3] for p in people})
    decoys = [replace(p, zip5=f"{rng.choice(areas)}{rng.randrange(100):02d}")
              for p in generate(len(people) * decoys_per_patient, decoys_per_patient=0,
                                seed=seed).population]
    return people + decoys, who


def evaluate_corpus(name: str, notes: list[Note], public: list[PublicPerson],
                    who: dict[str, str], *, settings: PrivacySettings, out_dir: Path) -> dict:
    """Risk and linkage of every policy's release of one corpus."""
    cache: dict = {}
    policies = load_policies()
    per_policy = {}
    population = settings.population_size or len(public)
    risk_settings = settings.model_copy(update={"population_size": population})
    for policy_name in policies.policies:
        t0 = time.perf_counter()
        records, refs = release(notes, policy_name, cache)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{name}_{policy_name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        qis = patient_qis(records)
        rows = rows_of(qis)
        risk = risk_at(rows, AS_RELEASED, risk_settings,
                       sensitive_of(qis, settings.sensitive_attribute))
        linked = [(who[refs[q.patient_ref]], row) for q, row in zip(qis, rows, strict=True)
                  if refs.get(q.patient_ref) in who]
        per_policy[policy_name] = {
            "policy": policies.get(policy_name).label,
            "risk": risk["risk"],
            "linkage": attack(linked, public).as_dict(),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    return {"patients": len({n.patient_id for n in notes}), "notes": len(notes),
            "public_table": len(public), "policies": per_policy}


def run_privacy(*, out: Path, n_patients: int = 1000, policy: str = "strict",
                settings: PrivacySettings | None = None) -> dict:
    """Evaluate both corpora; print a table; write the JSON report and the releases.

    Returns:
        The report; ``passed`` is whether the ``policy`` release of every corpus is at or
        under ``max_linkage_share`` and re-identifies fewer patients than Safe Harbor.
    """
    settings = settings or PrivacySettings()
    policies = load_policies(settings.policy_file)
    policies.get(policy)  # an unknown name fails before any work, listing the valid ones
    out_dir = out.parent / "privacy"
    demo_notes = load_notes()
    demo_table, demo_who = demo_public(demo_notes)
    generated = generate(n_patients)
    corpora = {
        "demo": evaluate_corpus("demo", demo_notes, demo_table, demo_who, settings=settings,
                                out_dir=out_dir),
        f"generated_{n_patients}": evaluate_corpus(
            f"generated_{n_patients}", generated.notes, generated.population,
            generated.patient_person, settings=settings, out_dir=out_dir),
    }
    checks = {}
    for name, c in corpora.items():
        before = c["policies"][BEFORE]["linkage"]["share_reidentified"]
        after = c["policies"][policy]["linkage"]["share_reidentified"]
        # One patient of the 7 demo patients is 14%: a share threshold means nothing on so
        # few; there the release must only re-identify fewer than Safe Harbor does.
        is_share_checked = c["patients"] >= MIN_PATIENTS_FOR_SHARE
        checks[name] = {"before": before, "after": after,
                        "is_share_checked": is_share_checked,
                        "passed": (after <= settings.max_linkage_share or not is_share_checked)
                        and (after < before or before == 0.0)}
    report = {"git_sha": git_sha(), "package_version": package_version(),
              "policies_sha256": policies.sha256, "policy": policies.get(policy).label,
              "max_linkage_share": settings.max_linkage_share, "corpora": corpora,
              "checks": checks, "passed": all(c["passed"] for c in checks.values())}
    _print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nreport -> {out}; releases -> {out_dir}/")
    return report


def _print(report: dict) -> None:
    print(f"{'corpus':<16} {'policy':<16} {'k':>3} {'k<5':>7} {'uniques':>8} {'pros max':>8} "
          f"{'pros avg':>8} {'journ avg':>9} {'l':>3} {'linked':>7} {'expected':>8}")
    for name, c in report["corpora"].items():
        for p in c["policies"].values():
            r, lk = p["risk"], p["linkage"]
            print(f"{name:<16} {p['policy']:<16} {r['k_min']:>3} {r['share_below_k']:>7.1%} "
                  f"{r['sample_uniques']:>8.1%} {r['prosecutor_highest']:>8.2f} "
                  f"{r['prosecutor_average']:>8.3f} {r['journalist_average']:>9.3f} "
                  f"{r['l_distinct']!s:>3} {lk['share_reidentified']:>7.1%} "
                  f"{lk['expected_share']:>8.1%}")
    for name, c in report["checks"].items():
        rule = (f"threshold {report['max_linkage_share']:.0%}" if c["is_share_checked"]
                else "fewer than safe_harbor")
        print(f"{name}: linkage {c['before']:.1%} (safe_harbor) -> {c['after']:.1%} "
              f"({report['policy']}), {rule}: {'PASS' if c['passed'] else 'FAIL'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--policy", default="strict")
    ap.add_argument("--out", type=Path, default=Path("evals/reports/privacy.json"))
    args = ap.parse_args(argv)
    report = run_privacy(out=args.out, n_patients=args.patients, policy=args.policy)
    raise SystemExit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
