"""``GET /docs``: Swagger UI from packaged files, never a CDN (the page works offline and tells
no third party that it was opened). The Swagger UI assets come from the
``swagger-ui-bundle-v2`` package, the page and its start script from ``agent/api/docs_ui``;
neither has inline script, so the service's Content-Security-Policy holds on /docs too."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from agent.errors import NotFound

router = APIRouter(include_in_schema=False)

# The only files served: name -> (package folder, media type).
_ASSETS = {
    "swagger-ui-bundle.js": ("bundle", "text/javascript"),
    "swagger-ui.css": ("bundle", "text/css"),
    "init.js": ("docs_ui", "text/javascript"),
}


def _folder(which: str):
    if which == "docs_ui":
        return resources.files("agent.api").joinpath("docs_ui")
    from swagger_ui_bundle import swagger_ui_path

    return swagger_ui_path


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """The Swagger UI page."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = _folder("docs_ui").joinpath("index.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{root}", root))


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> Response:
    """One of the page's script and style files.

    Raises:
        NotFound: not one of the page's files.
    """
    if name not in _ASSETS:
        raise NotFound("no such file of the API docs page")
    which, media_type = _ASSETS[name]
    # Installed packages are folders on disk (not zips), so the traversable is a path.
    return FileResponse(str(_folder(which).joinpath(name)), media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400"})
