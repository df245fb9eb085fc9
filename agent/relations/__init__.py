"""Relations between a note's entities: adverse drug events (``CAUSES``), reasons
(``TREATS``, ``CONTRAINDICATED_BY``) and body sites (``LOCATED_AT``), from the patterns of
``agent/rules/relations.json`` (see :mod:`agent.relations.extract`)."""
