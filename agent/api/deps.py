"""Dependencies of the routes, as ``Annotated`` aliases (override them in tests with
``app.dependency_overrides[get_backend] = lambda: FakeBackend()``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agent.api.auth import Access, authenticate
from agent.api.services import Services
from agent.config import Settings
from agent.llm.base import ChatBackend


def get_services(request: Request) -> Services:
    """The app's shared services (built in the lifespan)."""
    return request.app.state.services


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.services.settings


def get_backend(request: Request) -> ChatBackend:
    """The LLM backend (created on first use; may raise BackendUnavailable when used)."""
    return request.app.state.services.backend


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BackendDep = Annotated[ChatBackend, Depends(get_backend)]
AccessDep = Annotated[Access, Depends(authenticate)]
