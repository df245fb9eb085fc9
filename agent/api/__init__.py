"""The HTTP service (``clinagent serve``): ``create_app(settings)`` in ``agent.api.main``."""
