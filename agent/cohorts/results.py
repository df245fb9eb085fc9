"""Running a cohort query: the matching patients with the evidence of each criterion, the
excluded patients with the criterion that excluded them, and the attrition table.

Evidence is read back from the fact table by the same compiled terms that matched (only
for the patients in the answer), with a snippet of the note around the span cut by the
database, so no note is loaded whole.
"""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from agent.cohorts.compile import (
    CompiledQuery,
    Leaf,
    cohort_select,
    criterion_select,
    leaf_facts,
    resolve,
)
from agent.cohorts.vocabulary import CohortVocabulary
from agent.schemas.cohort import (
    AttritionStep,
    CohortPatient,
    CohortQuery,
    CohortResult,
    Criterion,
    CriterionEvidence,
    Evidence,
    ExcludedPatient,
)
from agent.store.models import NoteRow
from agent.version import package_version

logger = logging.getLogger(__name__)

# Characters of context on each side of a span in a snippet.
SNIPPET_CONTEXT = 60
# Patients per evidence statement (keeps the IN list small).
_PAGE = 500


def query_sha256(query: CohortQuery) -> str:
    """The hash a query is logged and audited by (never the query itself)."""
    canon = json.dumps(query.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _leaves_of(crit: Criterion, compiled: CompiledQuery) -> list[Leaf]:
    """The leaves whose facts are evidence for a criterion (none under a NOT: absence has
    no span)."""
    if crit.kind in ("all", "any"):
        return [leaf for c in getattr(crit, crit.kind) for leaf in _leaves_of(c, compiled)]
    if crit.kind == "not":
        return []
    return [compiled.leaves[id(crit)]]


def _preferred(leaf: Leaf, f) -> list:
    """Evidence order: for a medication status, the mentions that state that status
    ("continue metformin") before those that only name the drug ("metformin on hold")."""
    if leaf.status_now is None:
        return []
    return [case((f.status == leaf.status_now, 0), else_=1)]


def _evidence(session: Session, leaves: list[Leaf], compiled: CompiledQuery,
              patients: list[str], per_patient: int) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {p: [] for p in patients}
    if per_patient <= 0 or not patients:
        return out
    seen: dict[str, set[tuple[str, int]]] = {p: set() for p in patients}
    for leaf in leaves:
        for branch in leaf_facts(leaf, compiled):
            f, terms = branch[0], branch[1]
            froms = [f, branch[2]] if len(branch) > 2 else [f]
            # case(), not max(): PostgreSQL's max() is only an aggregate.
            lo = case((f.span_start > SNIPPET_CONTEXT, f.span_start - SNIPPET_CONTEXT),
                      else_=0)
            snippet = func.substr(NoteRow.text, lo + 1,
                                  f.span_end + SNIPPET_CONTEXT - lo)
            for start in range(0, len(patients), _PAGE):
                page = patients[start:start + _PAGE]
                stmt = (select(f.patient_id, f.note_id, f.note_date, f.span_start, f.span_end,
                               f.span_text, f.concept, f.code, f.value_num, f.unit, snippet)
                        .select_from(*froms).join(NoteRow, NoteRow.note_id == f.note_id)
                        .where(*terms, f.patient_id.in_(page))
                        .order_by(f.patient_id, *_preferred(leaf, f), f.note_day.desc(),
                                  f.note_id, f.span_start))
                for row in session.execute(stmt):
                    got = out[row.patient_id]
                    key = (row.note_id, row.span_start)
                    if len(got) >= per_patient or key in seen[row.patient_id]:
                        continue
                    seen[row.patient_id].add(key)
                    got.append(Evidence(
                        note_id=row.note_id, date=row.note_date, start=row.span_start,
                        end=row.span_end, text=row.span_text,
                        snippet=" ".join(str(row[10] or "").split()), concept=row.concept,
                        code=row.code, value=row.value_num, unit=row.unit))
    return out


def _count(session: Session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def run_query(session: Session, query: CohortQuery, *, vocab: CohortVocabulary,
              patients: list[str] | None = None, evidence_per_criterion: int = 3,
              ) -> CohortResult:
    """Run a query over the fact table.

    Args:
        session: a session on a store with built facts.
        query: the query.
        vocab: resolves the query's names.
        patients: restrict to these patients (the API key's scope); None: all.
        evidence_per_criterion: evidence mentions kept per criterion and patient.

    Returns:
        The result; an empty cohort is an empty result.

    Raises:
        InputError: an unknown name in the query (see :func:`resolve`).
    """
    compiled = resolve(query, vocab)
    pop = _count(session, cohort_select(compiled, patients, inclusion=0, exclusion=0))
    attrition = [AttritionStep(step="patients with facts", kind="population", matched=pop,
                               remaining=pop)]
    for i, (crit, label) in enumerate(zip(query.inclusion, compiled.inclusion_labels,
                                          strict=True)):
        attrition.append(AttritionStep(
            step=label, kind="inclusion",
            matched=_count(session, criterion_select(compiled, crit, patients)),
            remaining=_count(session, cohort_select(compiled, patients, inclusion=i + 1,
                                                    exclusion=0))))
    eligible = list(session.scalars(cohort_select(compiled, patients, exclusion=0)))
    remaining = set(eligible)
    excluded: list[ExcludedPatient] = []
    for crit, label in zip(query.exclusion, compiled.exclusion_labels, strict=True):
        hit = set(session.scalars(criterion_select(compiled, crit, patients))) & remaining
        evid = _evidence(session, _leaves_of(crit, compiled), compiled, sorted(hit),
                         evidence_per_criterion)
        excluded += [ExcludedPatient(patient_id=p, excluded_by=label, evidence=evid[p])
                     for p in sorted(hit)]
        remaining -= hit
        attrition.append(AttritionStep(step=label, kind="exclusion", matched=len(hit),
                                       remaining=len(remaining)))
    matched = sorted(remaining)
    per_crit = [(label, _evidence(session, _leaves_of(crit, compiled), compiled, matched,
                                  evidence_per_criterion))
                for crit, label in zip(query.inclusion, compiled.inclusion_labels,
                                       strict=True)]
    result = CohortResult(
        name=query.name, query_sha256=query_sha256(query), population=pop,
        patients=[CohortPatient(patient_id=p, criteria=[
            CriterionEvidence(criterion=label, evidence=evid[p]) for label, evid in per_crit])
            for p in matched],
        excluded=excluded, attrition=attrition,
        provenance={"package_version": package_version(), "producer": "clinagent.cohorts"})
    logger.info("cohort query %s: %d of %d patients", result.query_sha256[:12], len(matched),
                pop)
    return result
