"""Relations of an extraction (``NoteExtraction.relations``) in FHIR.

- ``TREATS`` drug -> problem: ``MedicationStatement.reason`` (R5 CodeableReference: the
  problem's text and a reference to its Condition) / ``reasonReference`` + ``reasonCode``
  (R4B).
- ``CAUSES`` allergen -> reaction: ``AllergyIntolerance.reaction.manifestation`` (R5
  CodeableReference, R4B CodeableConcept); a speculated reaction is R4B ``certainty``
  ``likely`` (R5 dropped the element).
- ``CAUSES`` drug -> effect: an ``AdverseEvent`` (R5: status completed, actuality actual,
  ``code`` the effect, ``suspectEntity.instanceReference`` the MedicationStatement,
  ``resultingEffect`` the Condition; R4B: ``event``, ``suspectEntity.instance``,
  ``resultingCondition``); a speculated relation is the suspect entity's causality
  "possible".

Every element built from a relation carries the clinagent source-span extension on the
relation's evidence (note id, offsets, relation type and assertion); an AdverseEvent's own
span is its effect mention, like every resource's span is its code's text. Negated relations are
not exported: "no rash on penicillin" is no reaction and no adverse event.
``CONTRAINDICATED_BY`` and ``LOCATED_AT`` have no element here.
"""

from __future__ import annotations

from typing import Any

from agent.fhir.common import ENTITY_ID_SYSTEM, full_url, span_extension
from agent.schemas.extraction import Entity, NoteExtraction, Relation, entity_id

# Assertions of the entities the bundle exports as Condition / MedicationStatement: a
# relation points at those resources, otherwise it names its argument by text only.
_EXPORTED = frozenset({"present", "possible", "absent", "historical"})


def entity_url(patient_id: str, note_id: str, entity: Entity) -> str:
    """The bundle entry URL of an entity's resource (as the extraction bundle builds it)."""
    return full_url(patient_id, note_id, str(entity.start), str(entity.end), entity.type)


def _evidence(note_id: str, relation: Relation) -> dict[str, Any]:
    return span_extension(note_id, relation.evidence.start, relation.evidence.end,
                          relation=relation.type, assertion=relation.assertion)


def _same(concept: dict[str, Any] | None, entity: Entity) -> bool:
    return bool(concept) and " ".join(str(concept.get("text", "")).lower().split()) == \
        " ".join(entity.text.lower().split())


def _of(record: NoteExtraction, entity: Entity, kind: str) -> list[tuple[Relation, Entity]]:
    """The non-negated relations of one type with ``entity`` as head, with their tails."""
    by_id = {entity_id(e): e for e in record.entities}
    head = entity_id(entity)
    return [(r, by_id[r.tail]) for r in record.relations
            if r.head == head and r.type == kind and r.assertion != "negated"
            and r.tail in by_id]


def add_relation_elements(resource: dict[str, Any], entity: Entity, record: NoteExtraction,
                          patient_id: str, version: str) -> None:
    """Add an entity's relations to its resource (before validation), in place.

    Args:
        resource: the MedicationStatement or AllergyIntolerance built for ``entity``
            (other resources are left as they are).
        entity: the resource's entity.
        record: the note's extraction (relations and entities).
        patient_id: the patient (entry URLs).
        version: "R5" or "R4B".
    """
    r5 = version == "R5"
    kind = resource.get("resourceType")
    if kind == "MedicationStatement":
        for relation, tail in _of(record, entity, "TREATS"):
            ref = ({"reference": entity_url(patient_id, record.note_id, tail)}
                   if tail.assertion in _EXPORTED else None)
            # The indication attribute may have written the same reason already: the
            # relation adds its evidence and reference to it rather than a second one.
            if r5:
                reasons = resource.setdefault("reason", [])
                reason = next((x for x in reasons if _same(x.get("concept"), tail)), None)
                if reason is None:
                    reason = {"concept": {"text": tail.text}}
                    reasons.append(reason)
                reason.setdefault("extension", []).append(_evidence(record.note_id, relation))
                if ref:
                    reason["reference"] = ref
            else:
                codes = resource.setdefault("reasonCode", [])
                code = next((x for x in codes if _same(x, tail)), None)
                if code is None:
                    code = {"text": tail.text}
                    codes.append(code)
                code.setdefault("extension", []).append(_evidence(record.note_id, relation))
                if ref:
                    resource.setdefault("reasonReference", []).append(ref)
    elif kind == "AllergyIntolerance":
        for relation, tail in _of(record, entity, "CAUSES"):
            manifestation = ({"concept": {"text": tail.text}} if r5 else {"text": tail.text})
            reaction: dict[str, Any] = {"extension": [_evidence(record.note_id, relation)],
                                        "manifestation": [manifestation]}
            if not r5 and relation.assertion == "speculated":
                reaction["certainty"] = {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/reaction-event-certainty",
                    "code": "likely"}]}
            resource.setdefault("reaction", []).append(reaction)


def adverse_events(record: NoteExtraction, patient_id: str, patient: dict[str, Any],
                   version: str) -> list[tuple[str, dict[str, Any]]]:
    """One AdverseEvent per drug -> effect ``CAUSES`` relation of a note.

    Returns:
        (entry URL, resource) pairs, not yet validated.
    """
    by_id = {entity_id(e): e for e in record.entities}
    out = []
    for relation in record.relations:
        drug, effect = by_id.get(relation.head), by_id.get(relation.tail)
        if relation.type != "CAUSES" or relation.assertion == "negated" or drug is None \
                or effect is None or drug.type != "MEDICATION":
            continue
        suspect_ref = ({"reference": entity_url(patient_id, record.note_id, drug)}
                       if drug.assertion in _EXPORTED else {"display": drug.text})
        effect_ref = ({"reference": entity_url(patient_id, record.note_id, effect)}
                      if effect.assertion in _EXPORTED else None)
        causality = ({"entityRelatedness": {"text": "possible"}} if version == "R5"
                     else {"assessment": {"text": "possible"}})
        # The resource's span is its effect mention (the span of a resource names what
        # its code names, as for every resource of the bundle); the sentence stating the
        # relation is on the suspect entity.
        common: dict[str, Any] = {
            "resourceType": "AdverseEvent",
            "extension": [span_extension(record.note_id, effect.start, effect.end,
                                         relation=relation.type,
                                         assertion=relation.assertion)],
            "actuality": "actual", "subject": patient}
        identifier = {"system": ENTITY_ID_SYSTEM,
                      "value": f"{record.note_id}:{relation.id}:{relation.type}"}
        # R5 allows several identifiers, R4B one.
        common["identifier"] = [identifier] if version == "R5" else identifier
        if version == "R5":
            suspect: dict[str, Any] = {"extension": [_evidence(record.note_id, relation)],
                                       "instanceReference": suspect_ref}
            if relation.assertion == "speculated":
                suspect["causality"] = causality
            resource = {**common, "status": "completed", "code": {"text": effect.text},
                        "suspectEntity": [suspect]}
            if effect_ref:
                resource["resultingEffect"] = [effect_ref]
        else:
            suspect = {"extension": [_evidence(record.note_id, relation)],
                       "instance": suspect_ref}
            if relation.assertion == "speculated":
                suspect["causality"] = [causality]
            # R4B names the effect in ``event``: the effect span goes on that element.
            span = common.pop("extension")
            resource = {**common, "event": {"extension": span, "text": effect.text},
                        "suspectEntity": [suspect]}
            if effect_ref:
                resource["resultingCondition"] = [effect_ref]
        url = full_url(patient_id, record.note_id, relation.id, "AdverseEvent")
        out.append((url, resource))
    return out
