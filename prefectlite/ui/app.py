"""The dashboard's ASGI application (Starlette + Jinja2) over one run journal.

Routes::

    /                                   the runs (?flow=, ?state=, ?page=)
    /runs/{run_id}                      one run: graph, timeline, parameters, errors
    /runs/{run_id}/tasks/{slug}         one task run (?index=N: one mapped child)
    /api/runs/{run_id}/status           JSON the run page polls while the run is going
    /static/...                         the stylesheet and the script (no CDN)

Read-only: the journal's connection is set to ``PRAGMA query_only``, and there are only GET
routes. Templates are autoescaped, so names and messages are shown as text.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from prefectlite.persistence.journal import JournalError, RunStore
from prefectlite.ui import views

HERE = Path(__file__).parent
POLL_MS = 500  # how often a running run's page asks for news


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["when"] = _when
    env.filters["seconds"] = _seconds
    env.globals["color"] = views.color
    return env


def _when(moment: datetime.datetime | float | None) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, float):
        moment = datetime.datetime.fromtimestamp(moment, datetime.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 60:
        return f"{value:.2f}s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def open_journal(path: str | os.PathLike[str]) -> RunStore:
    """The journal at ``path``, its connection made read-only."""
    store = RunStore(path)
    store._conn.execute("PRAGMA query_only = ON")
    return store


def create_app(journal: str | os.PathLike[str]) -> Starlette:
    """The dashboard application over the journal file ``journal`` (which must exist)."""
    store = open_journal(journal)
    pages = _Pages(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(routes=[
        Route("/", pages.runs),
        Route("/runs/{run_id}", pages.run),
        Route("/runs/{run_id}/tasks/{slug:path}", pages.task),
        Route("/api/runs/{run_id}/status", pages.status),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ], lifespan=lifespan)
    app.add_middleware(_Headers)
    app.state.store = store
    return app


class _Pages:
    """The dashboard's pages over one open journal (each method is a route's endpoint)."""

    def __init__(self, store: RunStore) -> None:
        self.store, self.env = store, _env()
        home, shown = str(Path.home()), str(store.path)
        self.shown_path = "~" + shown[len(home):] if shown.startswith(home + os.sep) else shown

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(journal=self.shown_path, poll_ms=POLL_MS,
                                                  **values)
        return HTMLResponse(html, status_code=status)

    def missing(self, exc: JournalError) -> HTMLResponse:
        return self.page("error.html", status=404, message=str(exc))

    def runs(self, request: Request) -> Response:
        q = request.query_params
        try:
            number = int(q.get("page", "1"))
        except ValueError:
            number = 1
        data = views.runs_page(self.store, q.get("flow") or None, q.get("state") or None,
                               number, _now())
        return self.page("runs.html", **data)

    def run(self, request: Request) -> Response:
        try:
            data = views.run_page(self.store, request.path_params["run_id"], _now())
        except JournalError as exc:
            return self.missing(exc)
        return self.page("run.html", **data)

    def task(self, request: Request) -> Response:
        raw = request.query_params.get("index")
        index = int(raw) if raw and raw.lstrip("-").isdigit() else None
        try:
            data = views.task_page(self.store, request.path_params["run_id"],
                                   request.path_params["slug"], index)
        except JournalError as exc:
            return self.missing(exc)
        return self.page("task.html", **data)

    def status(self, request: Request) -> Response:
        try:
            data = views.run_status(self.store, request.path_params["run_id"], _now())
        except JournalError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return JSONResponse(data, headers={"Cache-Control": "no-store"})


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class _Headers:
    """Adds a strict Content-Security-Policy (scripts only from /static) to every answer."""

    POLICY = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"content-security-policy", self.POLICY),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)
