"""How the window shows moments: "4 min ago" for recency, the local date and time for detail."""

from __future__ import annotations

import time
from datetime import datetime


def ago(moment: float | None, now: float | None = None) -> str:
    """How long ago an epoch time was: "just now", "3 min ago", "2 h ago", "4 d ago" ("never" for none)."""
    if moment is None:
        return "never"
    seconds = max(0.0, (time.time() if now is None else now) - moment)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def local_time(moment: float | None) -> str:
    """An epoch time in the local time zone, to the second ("" for none)."""
    return "" if moment is None else datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M:%S")
