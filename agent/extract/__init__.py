"""Extraction use cases: batch extraction with workers, LLM extraction, grounding."""
