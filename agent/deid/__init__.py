"""PHI de-identification (HIPAA Safe Harbor identifiers): detection, surrogates, audit.

Nothing is imported here: Presidio and spaCy load on first use of
``agent.deid.detector.detect`` or ``agent.deid.anonymize``. The recognizer pack and the
analyzer are built in ``registry``, the engine is ``detector``, the word lists are
``lexicons``.
"""
