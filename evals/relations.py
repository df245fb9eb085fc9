"""Relation evaluation (``clinagent eval relations``): adverse drug events on PHEE dev and
the demo corpus's relation gold, each against the nearest-drug baseline.

    python -m evals.relations [--data-dir DIR] [--limit N] [--out-dir evals/reports]

- **PHEE dev** (``<data-dir>/phee/dev.json``; Sun et al., EMNLP 2022): every
  ``Adverse_event`` with a ``Treatment.Drug`` and an ``Effect`` gives one gold (drug,
  effect) pair per drug; its assertion is ``negated`` when the event has a ``Negated``
  cue, ``speculated`` when it has a ``Speculated`` cue, else ``present``. Each sentence is
  extracted as a note (``EntityExtractor.extract_note``, relations included) and its
  ``CAUSES`` relations are scored: F1 exact and overlap on both arguments, and assertion
  accuracy over the gold events matched in overlap mode (overall, negated, speculated).
- **demo** (``evals/data/synthetic/relations_gold.json``, written for this report): the
  relations of the demo notes by type, and traps: pairs of a drug and a problem in one
  sentence that are not related ("tolerated cephalexin" beside a penicillin rash).
- **frozen** (``evals/data/frozen/relations``: ``notes.jsonl`` + ``gold.json``, same gold
  format as the demo's): short notes written blind to the rules by a separate session and
  never tuned on, scored like the demo corpus; only its aggregate numbers are reported.
- **baseline**: every problem linked to the nearest drug of its sentence, over the same
  candidate mentions (the extractor's entities plus the adverse-effect candidates), as a
  present CAUSES.

The rules were tuned on PHEE dev and the demo notes only: those numbers are development
numbers; the frozen corpus is the held-out test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from agent.errors import InputError
from agent.nlp.entities import EntityExtractor, default_extractor
from agent.relations.ade import effect_candidates
from agent.schemas.extraction import Entity, NoteExtraction, entity_id
from agent.schemas.notes import Note
from agent.version import package_version
from evals.metrics import PRF
from evals.relation_report import headline, write_reports
from evals.relation_scoring import Pair, match_pairs, nearest_drug_baseline
from evals.run import git_sha
from evals.synthetic import load_notes

GOLD_FILE = "relations_gold.json"
# The frozen relation corpus (evals/data/frozen/relations): never read or tuned on.
FROZEN_PARTS = ("data", "frozen", "relations")


@dataclass(frozen=True)
class PheeAde:
    """One PHEE sentence with its gold drug -> effect pairs."""

    sentence_id: str
    text: str
    gold: tuple[Pair, ...]


def load_phee(path: str | Path, limit: int | None = None) -> list[PheeAde]:
    """Read PHEE JSON Lines into sentences with gold (drug, effect) pairs.

    Raises:
        InputError: unreadable file, bad JSON line, or an argument offset that does not
            point at its text.
    """
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(source, f"cannot read the file ({e.strerror})",
                         fix="Pass --data-dir, the folder holding phee/dev.json") from e
    out: list[PheeAde] = []
    for number, line in enumerate(lines, start=1):
        if limit is not None and len(out) >= limit:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            out.append(PheeAde(str(record["id"]), record["context"],
                               tuple(_gold_pairs(record, source, number))))
        except json.JSONDecodeError as e:
            raise InputError(source, f"not valid JSON ({e.msg})", line=number) from e
        except KeyError as e:
            raise InputError(source, "missing field", line=number, field=str(e.args[0])) from e
    return out


def _argument(arg: dict, text: str, source: str, number: int) -> list[tuple[int, int]]:
    """One span per argument (a discontinuous argument spans its first to last fragment)."""
    spans = []
    for fragments, starts in zip(arg["text"], arg["start"], strict=True):
        for fragment, start in zip(fragments, starts, strict=True):
            if text[start:start + len(fragment)] != fragment:
                raise InputError(source, f"offset {start} does not match its text",
                                 line=number)
        spans.append((min(starts), max(s + len(f) for s, f in zip(starts, fragments,
                                                                    strict=True))))
    return spans


def _gold_pairs(record: dict, source: str, number: int) -> list[Pair]:
    text = record["context"]
    pairs: set[Pair] = set()
    for annotation in record["annotations"]:
        for event in annotation["events"]:
            drug = (event.get("Treatment") or {}).get("Drug")
            effect = event.get("Effect")
            if event.get("event_type") != "Adverse_event" or not drug or not effect:
                continue
            assertion = ("negated" if event.get("Negated") else
                         "speculated" if event.get("Speculated") else "present")
            for d in _argument(drug, text, source, number):
                for e in _argument(effect, text, source, number):
                    pairs.add(Pair(d, e, "CAUSES", assertion))
    return sorted(pairs, key=lambda p: (p.head, p.tail))


def predicted_pairs(extraction: NoteExtraction, types: tuple[str, ...] = ("CAUSES",),
                    ) -> list[Pair]:
    """The extraction's relations of the given types as argument-offset pairs."""
    by_id = {entity_id(e): e for e in extraction.entities}
    out = []
    for r in extraction.relations:
        if r.type not in types:
            continue
        head, tail = by_id[r.head], by_id[r.tail]
        out.append(Pair((head.start, head.end), (tail.start, tail.end), r.type, r.assertion))
    return out


def _baseline(extractor: EntityExtractor, text: str, extraction: NoteExtraction) -> list[Pair]:
    """The nearest-drug baseline over the extractor's own entities plus the adverse-effect
    candidates (the same mentions the relation rules choose from)."""
    layout = extraction.layout
    assert layout is not None  # extract_note always lays the note out
    own = [e for e in extraction.entities if not e.normalized.get("adverse_effect")]
    sentences = [(s.start, s.end) for s in layout.sentences] or [(0, len(text))]
    taken = [(e.start, e.end) for e in own]
    extra: list[Entity] = []
    for a, z in sentences:
        extra += effect_candidates(text, a, z, extractor.rules.relations, taken)
    return nearest_drug_baseline(sorted(own + extra, key=lambda e: e.start), sentences)


def _assertion_scores(matched: list[tuple[Pair, Pair]]) -> dict:
    by_gold: dict[str, Counter] = {}
    for g, p in matched:
        c = by_gold.setdefault(g.assertion, Counter())
        c["n"] += 1
        c["correct"] += g.assertion == p.assertion
    total = sum(c["n"] for c in by_gold.values())
    correct = sum(c["correct"] for c in by_gold.values())
    return {"matched": total, "accuracy": round(correct / total, 4) if total else None,
            **{k: {"n": v["n"], "accuracy": round(v["correct"] / v["n"], 4)}
               for k, v in sorted(by_gold.items())}}


def run_phee(extractor: EntityExtractor, path: str | Path, limit: int | None = None) -> dict:
    """Score CAUSES relations and the nearest-drug baseline on PHEE dev."""
    sentences = load_phee(path, limit)
    prf = {name: {"exact": PRF(), "overlap": PRF(), "overlap_parts_merged": PRF()}
           for name in ("rules", "baseline")}
    matched: dict[str, list[tuple[Pair, Pair]]] = {"rules": [], "baseline": []}
    gold_counts: Counter = Counter()
    for s in sentences:
        extraction = extractor.extract_note(Note(note_id=s.sentence_id, patient_id="phee",
                                                 text=s.text))
        preds = {"rules": predicted_pairs(extraction),
                 "baseline": _baseline(extractor, s.text, extraction)}
        gold_counts.update(g.assertion for g in set(s.gold))
        for name, pred in preds.items():
            for mode in ("exact", "overlap"):
                counts, pairs = match_pairs(s.gold, pred, mode=mode)
                prf[name][mode].add(counts)
                if mode == "overlap":
                    matched[name] += pairs
            prf[name]["overlap_parts_merged"].add(
                match_pairs(s.gold, pred, mode="overlap", merge_parts=True)[0])
    return {
        "sentences": len(sentences), "gold_relations": sum(gold_counts.values()),
        "gold_assertions": dict(sorted(gold_counts.items())),
        **{name: {**{mode: c.as_dict() for mode, c in v.items()},
                  "assertion": _assertion_scores(matched[name])} for name, v in prf.items()},
    }


@dataclass(frozen=True)
class DemoGold:
    """The demo corpus relation gold: relations and no-relation traps per note."""

    relations: dict[str, list[Pair]]
    traps: dict[str, list[Pair]]
    # Short synthetic sentences with the relations expected (type, head, tail, assertion
    # as texts; an empty list is a trap).
    sentences: list[dict]


def load_demo_gold(path: Path | None = None) -> DemoGold:
    """Read the demo relation gold; every argument's text is checked against its note.

    Raises:
        InputError: bad file, unknown note, or an argument whose offsets do not point at
            its text.
    """
    source = path or Path(str(files("evals").joinpath("data", "synthetic", GOLD_FILE)))
    try:
        raw = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(str(source), f"cannot read the relation gold ({e})",
                         fix="Restore evals/data/synthetic/relations_gold.json") from e
    notes = {n.note_id: n.text for n in load_notes()}
    return _relation_gold(raw, notes, str(source), "evals/data/synthetic/notes.jsonl")


_ASSERTIONS = ("present", "negated", "speculated")


def _relation_gold(raw: dict, notes: dict[str, str], source: str, notes_file: str,
                   ) -> DemoGold:
    """Relations and traps of a gold file, every argument checked against its note."""
    out: dict[str, dict[str, list[Pair]]] = {"relations": {}, "traps": {}}
    for key in ("relations", "traps"):
        for i, item in enumerate(raw.get(key, [])):
            try:
                text = notes.get(item["note_id"])
                if text is None:
                    raise InputError(source, f"{key}[{i}] names an unknown note",
                                     fix=f"Use a note id of {notes_file}")
                spans = []
                for arg in ("head", "tail"):
                    a, z, quote = item[arg]["start"], item[arg]["end"], item[arg]["text"]
                    if text[a:z] != quote:
                        raise InputError(source, f"{key}[{i}].{arg} offsets do not match "
                                         "its text", fix="Fix the offsets (end exclusive)")
                    spans.append((a, z))
            except (KeyError, TypeError) as e:
                raise InputError(source, f"{key}[{i}] lacks a field",
                                 fix="Give note_id, head and tail with start, end and text"
                                 ) from e
            type_, assertion = item.get("type", "CAUSES"), item.get("assertion", "present")
            if type_ not in _DEMO_TYPES or assertion not in _ASSERTIONS:
                raise InputError(source, f"{key}[{i}] has an unknown type or assertion",
                                 fix=f"Use a type of {', '.join(_DEMO_TYPES)} and an "
                                 f"assertion of {', '.join(_ASSERTIONS)}")
            out[key].setdefault(item["note_id"], []).append(
                Pair(spans[0], spans[1], type_, assertion))
    return DemoGold(relations=out["relations"], traps=out["traps"],
                    sentences=list(raw.get("sentences", [])))


def frozen_dir() -> Path:
    """The packaged folder of the frozen relation corpus."""
    root = files("evals")
    for part in FROZEN_PARTS:  # one segment per joinpath (MultiplexedPath on 3.11)
        root = root.joinpath(part)
    return Path(str(root))


def load_frozen(folder: Path | None = None) -> tuple[list[Note], DemoGold]:
    """Read the frozen relation corpus: its notes and its gold (offsets checked).

    Raises:
        InputError: a missing or unreadable file, or a gold argument whose offsets do not
            point at its text.
    """
    folder = folder or frozen_dir()
    notes_path, gold_path = folder / "notes.jsonl", folder / "gold.json"
    try:
        notes = load_notes(str(folder))
        raw = json.loads(gold_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(str(folder), f"cannot read the frozen relation corpus ({e})",
                         fix="Restore evals/data/frozen/relations/notes.jsonl and gold.json"
                         ) from e
    gold = _relation_gold(raw, {n.note_id: n.text for n in notes}, str(gold_path),
                          str(notes_path))
    return notes, gold


_DEMO_TYPES = ("CAUSES", "TREATS", "LOCATED_AT", "CONTRAINDICATED_BY")


def run_demo(extractor: EntityExtractor, gold: DemoGold | None = None,
             notes: list[Note] | None = None) -> dict:
    """Score relations on the demo notes (or ``notes`` with their ``gold``, the frozen
    corpus): per type, untyped drug-problem links against the baseline, assertion accuracy,
    and the traps linked (should be 0). Aggregate counts only, no per-item misses."""
    gold = gold or load_demo_gold()
    notes = notes if notes is not None else load_notes()
    by_type = {t: {"exact": PRF(), "overlap": PRF()} for t in (*_DEMO_TYPES, "all")}
    links = {"rules": PRF(), "baseline": PRF()}
    matched: list[tuple[Pair, Pair]] = []
    trapped = {"rules": 0, "baseline": 0}
    n_traps = 0
    for note in notes:
        extraction = extractor.extract_note(note)
        pred = predicted_pairs(extraction, _DEMO_TYPES)
        want = gold.relations.get(note.note_id, [])
        for t in _DEMO_TYPES:
            for mode in ("exact", "overlap"):
                counts, _ = match_pairs([g for g in want if g.type == t],
                                        [p for p in pred if p.type == t], mode=mode)
                by_type[t][mode].add(counts)
        for mode in ("exact", "overlap"):
            counts, pairs = match_pairs(want, pred, mode=mode)
            by_type["all"][mode].add(counts)
            if mode == "overlap":
                matched += pairs
        drug_links = [g for g in want if g.type != "LOCATED_AT"]
        ours = [p for p in pred if p.type != "LOCATED_AT"]
        base = _baseline(extractor, note.text, extraction)
        for name, p in (("rules", ours), ("baseline", base)):
            links[name].add(match_pairs(drug_links, p, mode="overlap", typed=False)[0])
        traps = gold.traps.get(note.note_id, [])
        n_traps += len(traps)
        for name, p in (("rules", ours), ("baseline", base)):
            trapped[name] += sum(bool(match_pairs([t], p, mode="overlap", typed=False)[1])
                                 for t in traps)
    return {
        "notes": len(notes),
        "gold_relations": sum(len(v) for v in gold.relations.values()),
        "by_type": {t: {m: prf.as_dict() for m, prf in v.items()}
                    for t, v in by_type.items()},
        "assertion": _assertion_scores(matched),
        "drug_problem_links_overlap": {k: v.as_dict() for k, v in links.items()},
        "traps": {"n": n_traps, "linked_rules": trapped["rules"],
                  "linked_baseline": trapped["baseline"]},
    }


def run_sentences(extractor: EntityExtractor, cases: list[dict]) -> dict:
    """The sentence cases: a case passes when its relations (type, head text, tail text,
    assertion) are exactly the expected ones."""
    failed = []
    for i, case in enumerate(cases):
        extraction = extractor.extract_note(Note(note_id=f"case-{i}", patient_id="cases",
                                                 text=case["text"]))
        by_id = {entity_id(e): e for e in extraction.entities}
        got = sorted((r.type, by_id[r.head].text, by_id[r.tail].text, r.assertion)
                     for r in extraction.relations)
        want = sorted((e["type"], e["head"], e["tail"], e["assertion"])
                      for e in case["expect"])
        if got != want:
            failed.append({"case": i, "expected": want, "found": got})
    return {"n": len(cases), "passed": len(cases) - len(failed), "failed": failed}


def run(data_dir: Path | None, limit: int | None = None,
        extractor: EntityExtractor | None = None) -> dict:
    """Both parts (PHEE only when ``data_dir`` holds ``phee/dev.json``) with provenance."""
    extractor = extractor or default_extractor()
    report: dict = {
        "eval": "relations", "git_sha": git_sha(), "package_version": package_version(),
        "rules_sha256": extractor.rules.sha256("relations.json", "cues.json"),
        "tuned_on": "PHEE dev and the demo notes (development numbers); frozen: never "
                    "tuned on (held-out test)",
        "demo": run_demo(extractor),
    }
    frozen_notes, frozen_gold = load_frozen()
    report["frozen"] = run_demo(extractor, frozen_gold, frozen_notes)
    report["sentence_cases"] = run_sentences(extractor, load_demo_gold().sentences)
    if data_dir is not None:
        report["phee_dev"] = run_phee(extractor, Path(data_dir) / "phee" / "dev.json", limit)
    return report


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m evals.relations [--data-dir DIR] [--limit N] [--out-dir DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m evals.relations")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out-dir", type=Path, default=Path("evals/reports"))
    args = parser.parse_args(argv)
    report = run(args.data_dir, args.limit)
    paths = write_reports(report, args.out_dir)
    sys.stdout.write(headline(report) + f"\nreports: {paths[0]} {paths[1]}\n")


if __name__ == "__main__":
    main()
