"""`voice-assistant models ...`: list, install, remove."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from voice_assistant.models.registry import ModelError
from voice_assistant.models.installed import installed_model, list_models
from voice_assistant.models.download import megabytes
from voice_assistant.models.installer import install, remove


models_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="List, install and remove speech models (Vosk recognition, Piper voices).")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"voice-assistant: {message}", err=True)
    raise typer.Exit(code)


class _RichProgress:
    """A rich progress bar per file, on stderr."""

    def __enter__(self) -> "_RichProgress":
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True))
        self._tasks: dict[str, Any] = {}
        self._bar.start()
        return self

    def __call__(self, label: str, done: int, total: int) -> None:
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._bar.add_task(label, total=total)
        self._bar.update(task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self._bar.stop()


@models_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print one JSON list.")) -> None:
    """Show the models the assistant can use, installed or downloadable."""
    try:
        rows = list_models()
    except ModelError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([row.to_json() for row in rows], ensure_ascii=False))
        return
    for row in rows:
        size = megabytes(row.size) if row.size else "-"
        state = f"installed ({row.location})" if row.installed else "not installed"
        typer.echo(f"{row.name}  {row.language}  {row.engine}  {size}  {state}")
        if row.installed:
            typer.echo(f"    {row.path}")
        elif row.description:
            typer.echo(f"    {row.description}")


@models_app.command("install")
def install_command(
    name: str = typer.Argument(..., help="Model name, as shown by `voice-assistant models list`."),
    from_file: Optional[Path] = typer.Option(
        None, "--from", help="Install from a file already on this computer (the .zip, the Piper .onnx with its "
                             ".onnx.json beside it, or a whisper model's folder); no network."),
    sha256: Optional[str] = typer.Option(None, "--sha256", help="Also require this sha256 for the main file "
                                         "(needed when the publisher gives no checksum)."),
    force: bool = typer.Option(False, "--force", help="Install again even if already installed."),
) -> None:
    """Download (or copy) a model, check its checksum, and install it."""
    try:
        existing = installed_model(name)
        if existing is not None and not force:
            typer.echo(f"{name} is already installed ({existing.location}): {existing.path}")
            return
        if from_file is not None:
            model = install(name, from_file, sha256=sha256, force=force)
        else:
            with _RichProgress() as progress:
                model = install(name, sha256=sha256, force=force, progress=progress)
    except ModelError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(f"{name}: stopped. Run `voice-assistant models install {name}` again to continue where it stopped.",
              130)
    typer.echo(f"Installed {model.name} ({model.engine}, {model.language}): {model.path}")


@models_app.command("remove")
def remove_command(name: str = typer.Argument(..., help="Model name.")) -> None:
    """Delete a model from the user data dir."""
    try:
        folder = remove(name)
    except ModelError as exc:
        _fail(str(exc))
    typer.echo(f"Removed {name} ({folder})")
