"""PHI de-identification (HIPAA Safe Harbor identifiers): detection, surrogates, audit.

Nothing is imported here: Presidio and spaCy load on first use of
``agent.deid.registry.detect`` or ``agent.deid.anonymize``.
"""
