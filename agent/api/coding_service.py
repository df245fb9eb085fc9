"""The coding co-pilot in the service: suggestions for stored notes, coders' decisions in
the store, the review queue, the metrics, the coders' review time and the
site's re-ranker.

The site's ranker is the file ``<api.data_dir>/coding/ranker.json`` written by
``POST /v1/coding/retrain`` (an empty ranker, vocabulary order, until the first retrain).
Every worker process reloads it when the file changes, so a retrain in one worker reaches
the others' next suggestions. Suggestions are kept in process memory per note text hash
and ranker version (the queue and the metrics compute many); nothing of a note is written
anywhere but the store's extraction cache.
"""

from __future__ import annotations

import logging
import os
import statistics
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.api.services import Services, StoreExtractor
from agent.coding import conventions as conv
from agent.coding.ranker import Ranker
from agent.coding.suggest import CodingPolicy, Suggester
from agent.errors import InputError, NotFound
from agent.rules import rules_for
from agent.schemas.coding import CoderDecision, NoteCodes
from agent.schemas.coding_api import (
    CodingMetricsResponse,
    DayCount,
    QueueItem,
    StoredDecision,
)
from agent.store import repository as repo
from agent.store.models import CodingDecisionRow, CodingReviewRow, NoteRow

logger = logging.getLogger(__name__)

RANKER_FILE = Path("coding") / "ranker.json"
# Suggestion lists kept in memory (a queue pass over a ward's notes; a list is a few kB).
_MAX_CACHED = 512
MAX_CONCEPT_CHARS = 300

_lock = threading.Lock()
_rankers: dict[Path, tuple[tuple[int, int, int], Ranker]] = {}
_suggesters: dict[tuple[str, str], Suggester] = {}
_codes: OrderedDict[tuple[str, str, str], NoteCodes] = OrderedDict()


def ranker_path(services: Services) -> Path:
    """Where the site's ranker is saved (``coding.ranker_path``, default under the
    service's data folder)."""
    return services.settings.coding.ranker_path or services.settings.api.data_dir / RANKER_FILE


def site_ranker(services: Services) -> Ranker:
    """The site's ranker: the saved file (reloaded when it changes), else an empty one.

    Raises:
        InputError: the file exists but is not a ranker (fix or delete it, then retrain).
    """
    path = ranker_path(services)
    try:
        info = path.stat()
    except FileNotFoundError:
        return Ranker()
    # A retrain renames a new file into place: a new inode (and time) means reload.
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    with _lock:
        hit = _rankers.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    ranker = Ranker.load(path)
    with _lock:
        _rankers[path] = (stamp, ranker)
    return ranker


def suggester(services: Services) -> Suggester:
    """A suggester with the site's ranker and the configured rules (one per version)."""
    ranker = site_ranker(services)
    rules = rules_for(services.settings)
    key = (ranker.version, rules.provenance())
    with _lock:
        hit = _suggesters.get(key)
    if hit is not None:
        return hit
    coding = services.settings.coding
    made = Suggester(CodingPolicy(guideline=coding.guideline,
                                  review_threshold=coding.review_threshold), ranker, rules)
    with _lock:
        # Older versions are never used again by this process.
        _suggesters.clear()
        _suggesters[key] = made
    return made


def stored_note(services: Services, note_id: str) -> NoteRow:
    """A stored note.

    Raises:
        NotFound: no note has this id.
    """
    with services.sessions() as session:
        row = session.get(NoteRow, note_id)
    if row is None:
        raise NotFound("no stored note has this id; list a patient's notes with "
                       "GET /v1/patients/{patient_id}/notes")
    return row


def note_codes(services: Services, row: NoteRow) -> NoteCodes:
    """The ranked suggestions of a stored note (its extraction from the store's cache)."""
    coder = suggester(services)
    key = (row.note_id, row.text_sha256, coder.ranker.version)
    with _lock:
        hit = _codes.get(key)
        if hit is not None:
            _codes.move_to_end(key)
            return hit
    note = repo.to_note(row)
    extraction = StoreExtractor(services).extract_note(note)
    codes = coder.suggest_note(extraction, note.text)
    with _lock:
        _codes[key] = codes
        while len(_codes) > _MAX_CACHED:
            _codes.popitem(last=False)
    return codes


def check_decisions(note_id: str, decisions: list[CoderDecision]) -> None:
    """Check decisions against the code tables before anything is stored.

    A code a coder reports (accepted, added, or chosen as a replacement) must be a billable
    ICD-10-CM leaf or a known ICD-10-PCS code; a rejected or replaced code must exist.

    Raises:
        InputError: names the field (``decisions[2].replacement``) and what to send.
    """
    for i, d in enumerate(decisions):
        where = f"decisions[{i}]"
        if d.note_id is not None and d.note_id != note_id:
            raise InputError("request body", "the decision names another note",
                             field=f"{where}.note_id",
                             fix="Leave note_id out or send the path's note id")
        if len(d.concept) > MAX_CONCEPT_CHARS:
            raise InputError("request body", f"concept longer than {MAX_CONCEPT_CHARS} "
                             "characters", field=f"{where}.concept",
                             fix="Send the suggestion's concept (its canonical name)")
        reported = {"accept": ("code", d.code), "add": ("code", d.code),
                    "replace": ("replacement", d.replacement)}.get(d.decision)
        if not conv.is_known_code(d.code, d.system):
            raise InputError("request body", f"{d.code!r} is not an {d.system} code",
                             field=f"{where}.code",
                             fix="Pick a code from the suggestion list or the code search")
        if reported is not None:
            name, code = reported
            if not conv.is_known_code(code or "", d.system):
                raise InputError("request body", f"{code!r} is not an {d.system} code",
                                 field=f"{where}.{name}",
                                 fix="Pick a code from the code search")
            if d.system == "ICD-10-CM" and not conv.is_billable(code or ""):
                leaf = conv.unspecified_leaf(code or "")
                raise InputError("request body", f"{code!r} is a category, not a billable "
                                 "code", field=f"{where}.{name}",
                                 fix=f"Report a billable code under it (e.g. {leaf})" if leaf
                                 else "Report a billable code under it")


def to_stored(row: CodingDecisionRow) -> StoredDecision:
    """A stored decision as the API shows it."""
    return StoredDecision(id=row.id, note_id=row.note_id, key_id=row.key_id,
                          concept=row.concept, section=row.section, system=row.system,
                          code=row.code, decision=row.decision, replacement=row.replacement,
                          score=row.suggestion_score, ranker_version=row.ranker_version,
                          package_version=row.package_version, at=row.at)


def queue(services: Services, only: list[str] | None, limit: int,
          ) -> tuple[int, list[QueueItem]]:
    """Undecided notes (of the patients in ``only``) with suggestions routed to review.

    Every undecided note is coded (extractions from the store's cache, suggestion lists
    from memory), so ``total`` is the whole queue's size; notes come in patient then note
    order.

    Returns:
        (queue size, its first ``limit`` items)
    """
    with services.sessions() as session:
        decided = repo.decided_note_ids(session, only)
        pids = [p[0] for p in repo.patients(session, only)]
        rows = [r for pid in pids for r in repo.patient_notes(session, pid)
                if r.note_id not in decided]
    items: list[QueueItem] = []
    total = 0
    for row in rows:
        codes = note_codes(services, row)
        review = sum(1 for s in codes.suggestions if s.route == "review")
        if not review:
            continue
        total += 1
        if len(items) < limit:
            items.append(QueueItem(note_id=row.note_id, patient_id=row.patient_id,
                                   note_type=row.note_type, date=row.date,
                                   review_count=review,
                                   suggestion_count=len(codes.suggestions)))
    return total, items


def precision_at(rows: list[CodingDecisionRow], k: int) -> float | None:
    """Mean over decided notes of the share of right codes among a note's top ``k``
    decided suggestions (see :func:`metrics`); None without any decided suggestion."""
    notes: dict[str, list[CodingDecisionRow]] = {}
    for r in rows:
        notes.setdefault(r.note_id, []).append(r)
    values = []
    for decisions in notes.values():
        # The coder's codes for the note: what was accepted, chosen instead, or added.
        gold = {(d.system, d.replacement if d.decision == "replace" else d.code)
                for d in decisions if d.decision in ("accept", "replace", "add")}
        shown: dict[tuple[str, str], float] = {}
        for d in decisions:
            if d.decision != "add" and d.suggestion_score is not None:
                key = (d.system, d.code)
                shown[key] = max(shown.get(key, 0.0), d.suggestion_score)
        if not shown:
            continue
        # The list was shown best score first; a code's rank is its place in that order.
        ranked = sorted(shown, key=lambda c: (-shown[c], c))[:k]
        right = sum(1 for c in ranked if c in gold)
        values.append(right / len(ranked))
    return round(sum(values) / len(values), 4) if values else None


def metrics(rows: list[CodingDecisionRow], queue_size: int, ranker_version: str,
            review_seconds: Sequence[float] = ()) -> CodingMetricsResponse:
    """The coding dashboard's numbers from stored decisions.

    - accept rate: accepted / (accepted + rejected + replaced): the share of decided
      suggestions taken as they were (added codes were never suggested);
    - precision@k: per note, its decided suggestions (those sent with the score they were
      shown with) are ranked by that score, best first, as the list showed them; a code at
      rank <= k is right when the coder accepted it or chose it, as a replacement or an
      added code, for the note; the note's precision@k is right / min(k, suggestions
      decided), averaged over the notes;
    - per day: decisions, acceptances and precision@1/@5 over the decisions of each UTC day
      (ISO date of ``at``): precision over time;
    - review time: the median of ``review_seconds`` (each a note's review sittings added
      up, see :func:`review_seconds_per_note`).
    """
    kinds = Counter(r.decision for r in rows)
    judged = kinds["accept"] + kinds["reject"] + kinds["replace"]
    days: dict[str, list[CodingDecisionRow]] = {}
    for r in rows:
        days.setdefault(r.at[:10], []).append(r)
    return CodingMetricsResponse(
        decisions=len(rows), decided_notes=len({r.note_id for r in rows}),
        accept_rate=round(kinds["accept"] / judged, 4) if judged else None,
        precision_at_1=precision_at(rows, 1), precision_at_5=precision_at(rows, 5),
        by_decision={k: kinds[k] for k in ("accept", "reject", "replace", "add")},
        per_day=[DayCount(date=d, decisions=len(day),
                          accepted=sum(r.decision == "accept" for r in day),
                          precision_at_1=precision_at(day, 1),
                          precision_at_5=precision_at(day, 5))
                 for d, day in sorted(days.items())],
        queue_size=queue_size, ranker_version=ranker_version,
        median_review_seconds=round(statistics.median(review_seconds), 1)
        if review_seconds else None,
        reviewed_notes=len(review_seconds))


# ---- review time -------------------------------------------------------------------------

def add_review(session: Session, note: NoteRow, *, key_id: str, seconds: float,
               decisions: int) -> CodingReviewRow:
    """Store one review sitting of ``note`` (flushes; the caller commits with the sitting's
    decisions, so a sitting is never stored without them)."""
    row = CodingReviewRow(note_id=note.note_id, patient_id=note.patient_id, key_id=key_id,
                          seconds=round(seconds, 1), decisions=decisions, at=repo.now_iso())
    session.add(row)
    session.flush()
    return row


def review_seconds_per_note(session: Session, only: list[str] | None = None) -> list[float]:
    """Per reviewed note (of the patients in ``only``), its review sittings' seconds added
    up: a coder who comes back to a note spends the sum of both sittings on it."""
    stmt = select(CodingReviewRow.note_id, CodingReviewRow.seconds)
    if only is not None:
        stmt = stmt.where(CodingReviewRow.patient_id.in_(only))
    per_note: dict[str, float] = {}
    for note_id, seconds in session.execute(stmt):
        per_note[note_id] = per_note.get(note_id, 0.0) + seconds
    return list(per_note.values())


def retrain(services: Services) -> tuple[str, str, int]:
    """Train the ranker from every stored decision and save it as the site's ranker.

    The file is written beside its final path and renamed, so another worker never reads
    half a table.

    Returns:
        (new version, previous version, decisions learned from)
    """
    previous = site_ranker(services).version
    with services.sessions() as session:
        decisions = [repo.to_coder_decision(r) for r in repo.coding_decisions(session)]
    ranker = Ranker.train(decisions)
    path = ranker_path(services)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    version = ranker.save(tmp)
    os.replace(tmp, path)
    logger.info("coding ranker retrained from %d decisions: %s", len(decisions), version)
    return version, previous, len(decisions)
