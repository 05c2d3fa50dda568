"""``prefectlite ui``: serve the dashboard over the run journal (the ``ui`` extra).

The dashboard (:mod:`prefectlite.ui`) is read-only and binds ``127.0.0.1`` unless told
otherwise. While it serves, ``$PREFECTLITE_HOME/ui.json`` says where (URL, process id,
journal), so that ``prefectlite run`` can point at a failed run's page; the file is removed
when the server stops. Starlette, uvicorn and Jinja2 are imported only when it starts.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Any

import click

from prefectlite.cli._errors import CliError, CommandFailed

INSTALL = "pip install 'prefectlite[ui]'"


def _marker() -> Path:
    from prefectlite import settings

    return settings.home() / "ui.json"


def dashboard_url(run_id: str, journal: Path) -> str | None:
    """The URL of run ``run_id``'s page if a dashboard over ``journal`` is serving, else None."""
    try:
        info = json.loads(_marker().read_text())
        if Path(info["journal"]) != Path(journal).absolute():
            return None
        os.kill(int(info["pid"]), 0)  # still alive?
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"{info['url'].rstrip('/')}/runs/{run_id}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("ui")
@click.option("--port", type=click.IntRange(0, 65535), default=4200, show_default=True,
              help="The port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to bind. Anything but a loopback address shows the runs to "
                   "your network.")
@click.option("--journal", "journal", type=click.Path(dir_okay=False, path_type=Path),
              help="The run journal to show (default: $PREFECTLITE_HOME/prefectlite.db).")
def ui_command(port: int, host: str, journal: Path | None) -> None:
    """Serve a read-only dashboard of the recorded runs (http://127.0.0.1:4200)."""
    from prefectlite import settings

    path = (journal or settings.journal_path()).expanduser().absolute()
    app = _load_app(path)
    if not _is_loopback(host):
        click.echo(f"Warning: serving on {host}: anyone who can reach this address can read "
                   "your flow runs, their parameters' names and their logs. Use --host "
                   "127.0.0.1 to keep it local.", err=True)
    shown = f"[{host}]" if ":" in host else host
    if not _serve(app, host, port, shown, path):
        raise CommandFailed(f"could not serve on http://{shown}:{port} (is the port taken? "
                            "try --port).")


def _load_app(path: Path) -> Any:
    """The dashboard app over the journal at ``path``; a clear error when it cannot be."""
    try:
        import uvicorn  # noqa: F401 (served with it)

        from prefectlite.ui.app import create_app
    except ImportError as exc:
        raise CommandFailed(f"prefectlite ui needs the ui extra ({exc.name} is missing): "
                            f"{INSTALL}") from None
    from prefectlite.persistence.journal import JournalError

    if not path.exists():
        raise CliError(f"no run journal at {path} (prefectlite run records runs there; "
                       "PREFECTLITE_HOME or --journal moves it).")
    try:
        return create_app(path)
    except JournalError as exc:
        raise CommandFailed(str(exc)) from None


def _serve(app: Any, host: str, port: int, shown: str, path: Path) -> bool:
    """Serve ``app`` until Ctrl+C, the marker file saying where meanwhile; whether the
    server started."""
    import uvicorn

    marker = _marker()

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            actual = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
            real = f"http://{shown}:{actual}"
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"url": real, "pid": os.getpid(),
                                          "journal": str(path)}))
            click.echo(f"prefectlite dashboard on {real} (journal {path}); Ctrl+C stops it.")

    server = Announcing(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                       access_log=False, lifespan="on"))
    try:
        server.run()
    finally:
        try:
            if json.loads(marker.read_text()).get("pid") == os.getpid():
                marker.unlink()
        except (OSError, ValueError):
            pass
    return bool(server.started)
