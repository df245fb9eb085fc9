"""An LLM judge: an optional second opinion on each verified statement.

For one statement the judge gets the lines of the notes the rule verifier cited as
evidence (numbered E1..En) and answers entailed / contradicted / not_enough_info through
the structured-output loop (``prompts/verify/judge.v1.yaml``). The answer is recorded on the
statement as a :class:`~agent.schemas.verification.ModelOpinion`, labelled as a model's
opinion, with the backend, model and prompt id@version.

How an opinion combines with the rule verdict (a false "verified" is worse than "not
checked", so a model can only make the verifier more careful):

| rule verdict | opinion | result |
|---|---|---|
| SUPPORTED | contradicted or not_enough_info | UNSUPPORTED ("a model disagrees"), opinion kept |
| SUPPORTED | entailed | SUPPORTED |
| anything else | any | unchanged (a model never makes a statement green or red) |

A statement with no evidence lines is not sent (nothing to judge against); a failed call
is recorded as ``failed`` and changes nothing.
"""

from __future__ import annotations

import json
import logging

from agent.errors import BackendUnavailable, ExtractionFailed
from agent.llm.base import ChatBackend, GenerationParams
from agent.llm.structured import generate_structured, prompt_schema
from agent.patient import PatientRecord
from agent.schemas.summary import HandoffSummary, Statement
from agent.schemas.verification import EvidenceSpan, LLMJudgement, ModelOpinion, Verification
from prompts import load_prompt

logger = logging.getLogger(__name__)

MAX_PASSAGES = 6


class LLMJudge:
    """Asks a model for a second opinion on statements of one patient.

    Args:
        backend: any chat backend (vLLM, llama.cpp server, the in-process model).
        max_retries: re-asks of the structured loop.
        max_tokens: reply budget.
    """

    def __init__(self, backend: ChatBackend, *, max_retries: int = 2,
                 max_tokens: int = 200) -> None:
        self.backend = backend
        self.max_retries = max_retries
        self.params = GenerationParams(max_tokens=max_tokens)
        self.prompt = load_prompt("verify", "judge")
        self.schema = json.dumps(prompt_schema(LLMJudgement))

    def passages(self, record: PatientRecord, verification: Verification,
                 ) -> list[EvidenceSpan]:
        """The lines of the notes holding the verifier's evidence (deduplicated)."""
        out: list[EvidenceSpan] = []
        for span in verification.evidence:
            layout = record.layouts.get(span.note_id)
            if layout is None:
                continue
            lo, hi = span.start, span.end
            for line in layout.lines:
                if line.start <= span.end and span.start <= line.end:
                    lo, hi = min(lo, line.start), max(hi, line.end)
            line_span = EvidenceSpan(note_id=span.note_id, start=lo, end=hi,
                                     relation="related")
            if line_span not in out:
                out.append(line_span)
        return out[:MAX_PASSAGES]

    def opinion(self, record: PatientRecord, statement: Statement) -> ModelOpinion | None:
        """The model's opinion on one verified statement (None: nothing to judge against)."""
        verification = statement.verification
        if verification is None:
            return None
        passages = self.passages(record, verification)
        if not passages:
            return None
        texts = {n.note_id: n.text for n in record.notes}
        rendered = "\n".join(f"E{i}: {' '.join(texts[p.note_id][p.start:p.end].split())}"
                             for i, p in enumerate(passages, start=1))
        messages = self.prompt.render(statement=statement.text, passages=rendered,
                                      schema=self.schema)
        base = {"backend": getattr(self.backend, "name", None),
                "model": getattr(self.backend, "model", None), "prompt": self.prompt.ref}
        try:
            result = generate_structured(self.backend, messages, LLMJudgement,
                                         max_retries=self.max_retries, params=self.params)
        except (ExtractionFailed, BackendUnavailable) as e:
            # The rule verdict stands; the failure is recorded, never hidden.
            logger.warning("judge: no opinion (%s)", type(e).__name__)
            return ModelOpinion(label="failed", reason=type(e).__name__, **base)
        by_id = {f"E{i}": p for i, p in enumerate(passages, start=1)}
        used = [by_id[i.strip().strip("[]")] for i in result.value.passage_ids
                if i.strip().strip("[]") in by_id]
        return ModelOpinion(label=result.value.label, reason=result.value.reason,
                            evidence=used, **base)

    def review(self, record: PatientRecord, summary: HandoffSummary) -> HandoffSummary:
        """Attach an opinion to every statement and apply the combination rule."""
        out = []
        for st in summary.statements:
            opinion = self.opinion(record, st)
            out.append(st if opinion is None else st.model_copy(
                update={"verification": combine(st.verification, opinion)}))
        return summary.model_copy(update={"statements": out})


def combine(verification: Verification, opinion: ModelOpinion) -> Verification:
    """The documented rule: a model can lower SUPPORTED to UNSUPPORTED, nothing else."""
    if verification.verdict == "SUPPORTED" and opinion.label in ("contradicted",
                                                                 "not_enough_info"):
        lowered = opinion.model_copy(update={"changed_verdict": True})
        return verification.model_copy(update={
            "verdict": "UNSUPPORTED", "model_opinion": lowered,
            "detail": f"{verification.detail}; a model's second opinion disagrees "
                      f"({opinion.label}): {opinion.reason}".strip()})
    return verification.model_copy(update={"model_opinion": opinion})
