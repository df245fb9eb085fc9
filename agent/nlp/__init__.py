"""The deterministic clinical NLP: note layout, entities, assertion, medication
attributes, vocabularies and coding (no LLM, no network)."""
