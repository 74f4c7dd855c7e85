"""The web console (``signals web``): an ASGI application (Starlette, served by uvicorn) over the same store
as the CLI and the service. An entry point like ``signals/cli/`` and ``signals/service/``: it calls the
pipeline, the core's read functions and the reports' builders, never the CLI.

Pages are server-rendered Jinja2 (autoescaped), charts are SVG drawn on the server, assets are served by
the application itself; no JavaScript. Routes are split by area in ``signals/web/routes/``.
"""

from signals.web.app import create_app

__all__ = ["create_app"]
