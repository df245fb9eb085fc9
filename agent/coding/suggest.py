"""Note-level ICD-10-CM / ICD-10-PCS suggestions from an extraction.

Each problem (ICD-10-CM) and procedure (ICD-10-PCS) mention the guideline lets through
(:func:`agent.coding.conventions.is_codable`) hands in its ranked vocabulary candidates;
the conventions make them billable and as specific as the text around the mention
supports, the re-ranker applies what coders decided before, combination codes replace the
pairs they cover, and the note's list is de-duplicated (one suggestion per code, with every
mention as evidence) and cleared of Excludes1 pairs (the better-scored code stays).

The suggester takes and returns plain records, so the CLI, the evaluation and the service
(later: its database of decisions) call the same :class:`Suggester`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.coding import conventions as conv
from agent.coding.confidence import DEFAULT_REVIEW_THRESHOLD, confidence, route
from agent.coding.ranker import Ranker
from agent.nlp.vocab.terms import normalize_phrase, tokens
from agent.rules import Rules
from agent.schemas.coding import (
    CodeSuggestion,
    CodingProvenance,
    ExcludedCode,
    Guideline,
    MatchType,
    NoteCodes,
    RankReasons,
    Specificity,
    SuggestionMention,
)
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.summary import Citation
from agent.version import package_version

SYSTEM_OF_TYPE = {"PROBLEM": "ICD-10-CM", "PROCEDURE": "ICD-10-PCS"}
# A sentence ends at a full stop before a space or line end, a semicolon or a line break.
_BOUNDARY = re.compile(r"\.(?=\s|$)|;|\n")
# Score added per further mention stating the same code.
PER_MENTION = 0.03
# A mention's later candidates are alternative readings of the same words: each rank down
# costs this factor, so the note's list interleaves mentions' best codes first.
RANK_DECAY = 0.85


@dataclass(frozen=True)
class CodingPolicy:
    """How a note is coded (defaults: the outpatient guideline).

    Attributes:
        guideline: "outpatient" (uncertain diagnoses not coded) or "inpatient" (coded as
            if established).
        include_historical: also code past conditions and procedures (case reports).
        review_threshold: confidences below it go to the review queue.
        candidates_per_mention: vocabulary candidates kept per mention.
        primary_roles: section roles (``sections.json`` ``section_roles``) that list the
            encounter's diagnoses; their mentions weigh ``primary_weight``.
        history_roles: section roles of past history (``history_weight``).
        other_weight: weight of every other section (and of text before any header).
        context_chars: how far around a mention (within its sentence) words support a
            more specific code.
        is_diagnosis_over_symptom: in an Excludes1 clash, a definitive diagnosis beats a
            sign or symptom (chapter R) whatever their scores (guideline I.B.5: symptoms of
            an established diagnosis are not coded); False keeps the better-scored code.
        context_chapters: ICD-10-CM chapters (code first letter) coded only when the note
            says one of the words: perinatal codes (P) need a newborn, obstetric codes (O)
            a pregnancy; without them "hypoxia" is not "other problems with newborn".
    """

    guideline: Guideline = "outpatient"
    include_historical: bool = False
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    candidates_per_mention: int = 5
    primary_roles: tuple[str, ...] = ("diagnosis_list", "problem_list")
    history_roles: tuple[str, ...] = ("history",)
    primary_weight: float = 1.0
    other_weight: float = 0.92
    history_weight: float = 0.85
    context_chars: int = 150
    is_diagnosis_over_symptom: bool = True
    context_chapters: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("P", ("newborn", "neonate", "neonatal", "perinatal", "infant", "preterm",
               "premature", "gestational age")),
        ("O", ("pregnant", "pregnancy", "gestation", "gestational", "gravida", "obstetric",
               "postpartum", "puerperal", "puerperium", "delivery", "trimester",
               "antepartum", "labor")),
    )


@dataclass
class _Hit:
    code: str
    system: str
    score: float
    vocabulary_score: float
    match_type: MatchType
    specificity: Specificity
    section_weight: float
    adjustment: float
    mentions: list[int]
    rank: int = 0
    notes: list[str] = field(default_factory=list)


def concept_of(entity: Entity) -> str:
    """The concept a decision on this mention is filed under: the vocabulary's canonical
    name, else the normalised mention (lower case)."""
    canonical = entity.normalized.get("canonical")
    return normalize_phrase(str(canonical) if canonical else entity.text)


class Suggester:
    """Ranked code suggestions for notes.

    Args:
        policy: coding policy (guideline, threshold, section weights).
        ranker: the learned re-ranker (default: an empty one, vocabulary order).
        rules: the rule set whose section roles weigh sections (default: packaged rules).
    """

    def __init__(self, policy: CodingPolicy | None = None, ranker: Ranker | None = None,
                 rules: Rules | None = None) -> None:
        self.policy = policy or CodingPolicy()
        self.ranker = ranker or Ranker()
        self.rules = rules or Rules.load()
        roles = self.rules.roles
        self._primary = frozenset().union(*(roles.sections(r) for r in self.policy.primary_roles))
        self._history = frozenset().union(*(roles.sections(r) for r in self.policy.history_roles))
        self._provenance = CodingProvenance(
            ranker_version=self.ranker.version, rules_sha256=self.rules.provenance(),
            package_version=package_version(), icd10cm_release=conv.icd10cm_release(),
            guideline=self.policy.guideline, review_threshold=self.policy.review_threshold)

    def suggest_note(self, extraction: NoteExtraction, text: str) -> NoteCodes:
        """Suggestions for one extracted note.

        Args:
            extraction: the note's extraction (entities with codes, assertions, sections).
            text: the note's text (the extraction's offsets point into it).

        Returns:
            The note's suggestions, best first, with what the conventions excluded.
        """
        return self.suggest(extraction.note_id, text, extraction.entities,
                            patient_id=extraction.patient_id)

    def suggest(self, note_id: str, text: str, entities: list[Entity], *,
                patient_id: str | None = None) -> NoteCodes:
        """Suggestions from a note's entities (see :meth:`suggest_note`)."""
        return self._code(note_id, [(note_id, text, entities)], patient_id, None)

    def suggest_encounter(self, encounter_id: str,
                          notes: Sequence[tuple[NoteExtraction, str]]) -> NoteCodes:
        """Encounter-level suggestions: the notes of one stay coded as one list.

        A code stated in several notes is suggested once with every note's evidence, and a
        combination code may join conditions documented in different notes.

        Args:
            encounter_id: the id the list is filed under (``NoteCodes.note_id``).
            notes: each note's extraction and text.

        Returns:
            One list with ``encounter_note_ids`` naming the notes; citations name each note.
        """
        patients = {x.patient_id for x, _ in notes}
        return self._code(encounter_id, [(x.note_id, t, x.entities) for x, t in notes],
                          patients.pop() if len(patients) == 1 else None,
                          [x.note_id for x, _ in notes])

    def _code(self, code_id: str, sources: list[tuple[str, str, list[Entity]]],
              patient_id: str | None, note_ids: list[str] | None) -> NoteCodes:
        policy = self.policy
        mentions: list[Entity] = []
        owners: list[tuple[str, str]] = []
        for note_id, text, entities in sources:
            for e in entities:
                if e.type in SYSTEM_OF_TYPE and conv.is_codable(
                        e.assertion, policy.guideline,
                        include_historical=policy.include_historical):
                    mentions.append(e)
                    owners.append((note_id, text))
        words = frozenset().union(*(tokens(text) for _, text, _ in sources))
        blocked = tuple(letter for letter, chapter_words in policy.context_chapters
                        if not any(frozenset(tokens(w)) <= words for w in chapter_words))
        per_mention = [self._mention_hits(i, e, owners[i][1], blocked)
                       for i, e in enumerate(mentions)]
        excluded: dict[str, ExcludedCode] = {}
        combos = self._combinations(mentions, per_mention, excluded)
        merged = self._merge([h for hits in per_mention for h in hits] + combos, excluded)
        kept = self._drop_excludes1(merged, excluded)
        suggestions = [self._suggestion(h, mentions, owners) for h in kept]
        return NoteCodes(note_id=code_id, patient_id=patient_id, suggestions=suggestions,
                         excluded=sorted(excluded.values(), key=lambda x: x.code),
                         encounter_note_ids=note_ids, provenance=self._provenance)

    def _section_weight(self, section: str | None) -> float:
        if section in self._primary:
            return self.policy.primary_weight
        if section in self._history:
            return self.policy.history_weight
        return self.policy.other_weight

    def _context(self, text: str, ent: Entity) -> frozenset[str]:
        reach = self.policy.context_chars
        lo = max(0, ent.start - reach)
        starts = [m.end() for m in _BOUNDARY.finditer(text, lo, ent.start)]
        begin = starts[-1] if starts else lo
        after = _BOUNDARY.search(text, ent.end, min(len(text), ent.end + reach))
        end = after.start() if after else min(len(text), ent.end + reach)
        return frozenset(tokens(text[begin:end]))

    def _mention_hits(self, idx: int, ent: Entity, text: str, blocked: tuple[str, ...],
                      ) -> list[_Hit]:
        system = SYSTEM_OF_TYPE[ent.type]
        raw = [(c.code, c.score) for c in ent.codes if c.system == system
               and not (system == "ICD-10-CM" and c.code.startswith(blocked))]
        cands: dict[str, float] = {}
        kinds: dict[str, MatchType] = {}
        for code, score in raw[: self.policy.candidates_per_mention]:
            if system == "ICD-10-CM" and not conv.is_billable(code):
                leaf = conv.unspecified_leaf(code)
                if leaf is None:
                    continue
                code = leaf
            if score > cands.get(code, -1.0):
                cands[code] = score
                kinds[code] = "vocabulary"
        if system == "ICD-10-CM" and cands:
            top = max(cands, key=lambda c: cands[c])
            specific = conv.more_specific(top, self._context(text, ent))
            if specific is not None and specific != top:
                cands[specific] = cands[top]
                kinds[specific] = "specific"
                # "Unspecified" only when nothing more specific is supported.
                del cands[top]
        ordered = sorted(cands.items(), key=lambda kv: (-kv[1], kv[0]))
        weight = self._section_weight(ent.section)
        hits = []
        learned = [a for a in self.ranker.rerank(system, concept_of(ent), ordered)
                   if not (system == "ICD-10-CM" and a.code.startswith(blocked))]
        for rank, adj in enumerate(learned):
            vocab = cands.get(adj.code, 0.0)
            match: MatchType = "learned" if adj.is_learned else kinds.get(adj.code, "vocabulary")
            spec: Specificity = ("unspecified" if system == "ICD-10-CM"
                                 and conv.is_unspecified(adj.code) else "billable")
            score = adj.score * weight * RANK_DECAY**rank
            hits.append(_Hit(adj.code, system, max(0.0, min(1.0, score)), vocab, match, spec,
                             weight, round(adj.adjustment, 4), [idx], rank))
        return hits

    def _combinations(self, mentions: list[Entity], per_mention: list[list[_Hit]],
                      excluded: dict[str, ExcludedCode]) -> list[_Hit]:
        """Combination codes for pairs of problem mentions (first condition, second)."""
        tops = {i: hits[0] for i, hits in enumerate(per_mention)
                if hits and hits[0].system == "ICD-10-CM"}
        readings = {i: (frozenset(tokens(mentions[i].text)),
                        frozenset(tokens(concept_of(mentions[i])))) for i in tops}
        out: list[_Hit] = []
        consumed: set[int] = set()
        for a, top_a in tops.items():
            first = frozenset().union(*readings[a], tokens(conv.describe(top_a.code,
                                                                          "ICD-10-CM")))
            for b, top_b in tops.items():
                if b == a or top_b.code == top_a.code:
                    continue
                combo = conv.combination_code(top_a.code, first, readings[b])
                if combo is None or combo in (top_a.code, top_b.code):
                    continue
                for covered in (top_a.code, top_b.code):
                    excluded.setdefault(covered, ExcludedCode(
                        code=covered, reason="combination", kept=combo))
                consumed.update((a, b))
                out.append(_Hit(combo, "ICD-10-CM", max(top_a.score, top_b.score),
                                max(top_a.vocabulary_score, top_b.vocabulary_score),
                                "combination", "combination",
                                max(top_a.section_weight, top_b.section_weight), 0.0, [a, b],
                                0, [f"combines {top_a.code} and {top_b.code}"]))
        # The other candidates of a combined mention were alternative readings of words the
        # combination code now states.
        for i in consumed:
            per_mention[i] = []
        return out

    def _merge(self, hits: list[_Hit], excluded: dict[str, ExcludedCode]) -> list[_Hit]:
        """One hit per code: the best one, raised a little by every further mention."""
        best: dict[tuple[str, str], _Hit] = {}
        for h in hits:
            if h.code in excluded and h.match_type != "combination":
                continue
            key = (h.system, h.code)
            cur = best.get(key)
            if cur is None:
                best[key] = _Hit(**{**h.__dict__, "mentions": list(h.mentions),
                                    "notes": list(h.notes)})
                continue
            merged = sorted(set(cur.mentions) | set(h.mentions))
            if h.score > cur.score:
                cur.score, cur.vocabulary_score, cur.match_type = (
                    h.score, h.vocabulary_score, h.match_type)
                cur.section_weight, cur.adjustment = h.section_weight, h.adjustment
            cur.mentions = merged
            cur.rank = min(cur.rank, h.rank)
        for h in best.values():
            h.score = min(1.0, h.score + PER_MENTION * (len(h.mentions) - 1))
        return sorted(best.values(), key=lambda h: (-h.score, h.system, h.code))

    def _drop_excludes1(self, ranked: list[_Hit], excluded: dict[str, ExcludedCode],
                        ) -> list[_Hit]:
        kept: list[_Hit] = []
        # Mentions' best readings are settled first: an alternative reading of a mention
        # ("edema" -> cerebral edema) never excludes another mention's best code.
        symptom_last = self.policy.is_diagnosis_over_symptom
        for h in sorted(ranked, key=lambda h: (h.rank > 0,
                                               symptom_last and h.code.startswith("R"),
                                               -h.score)):
            clash = None
            if h.system == "ICD-10-CM":
                clash = next((k for k in kept if k.system == "ICD-10-CM"
                              and conv.excludes1_conflict(k.code, h.code)), None)
            if clash is None:
                kept.append(h)
            else:
                excluded.setdefault(h.code, ExcludedCode(code=h.code, reason="excludes1",
                                                         kept=clash.code))
        return sorted(kept, key=lambda h: (-h.score, h.system, h.code))

    def _suggestion(self, h: _Hit, mentions: list[Entity], owners: list[tuple[str, str]],
                    ) -> CodeSuggestion:
        ents = [mentions[i] for i in h.mentions]
        notes = [owners[i][0] for i in h.mentions]
        first = ents[0]
        reasons = RankReasons(
            match_type=h.match_type, specificity=h.specificity, section=first.section,
            assertion=first.assertion, vocabulary_score=round(min(1.0, h.vocabulary_score), 4),
            section_weight=h.section_weight, mention_count=len(ents),
            mention_rank=h.rank, ranker_adjustment=h.adjustment, notes=h.notes)
        conf = confidence(h.score, reasons, self.ranker.calibration)
        return CodeSuggestion(
            code=h.code, system=h.system, description=conv.describe(h.code, h.system),
            score=round(h.score, 4), confidence=conf,
            route=route(conf, self.policy.review_threshold), rank_reasons=reasons,
            evidence=[Citation(note_id=n, start=e.start, end=e.end)
                      for n, e in zip(notes, ents, strict=True)],
            mentions=[SuggestionMention(note_id=n, text=e.text, concept=concept_of(e),
                                        start=e.start, end=e.end, section=e.section,
                                        assertion=e.assertion)
                      for n, e in zip(notes, ents, strict=True)])
