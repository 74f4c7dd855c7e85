"""The console's routes, by area."""

from signals.web.routes import archive, auth, feedback, indicators, signals, sources, users

routes = [
    *auth.routes,
    *signals.routes,
    *feedback.routes,
    *archive.routes,
    *indicators.routes,
    *sources.routes,
    *users.routes,
]
