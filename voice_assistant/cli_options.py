"""Small helpers shared by the command groups (`hub`, `sync`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer


def db_option(ctx: typer.Context, db: Optional[Path], default: Callable[[], Path]) -> Path:
    """`--db` given to the command itself, else to an enclosing group (`voice-assistant hub --db X token add`),
    else the default."""
    if db is not None:
        return db
    context = ctx.parent
    while context is not None:
        if context.params.get("db"):
            return Path(context.params["db"])
        context = context.parent
    return default()
