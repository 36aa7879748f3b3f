"""Who may do what in a workspace: the three roles and the guard every :class:`Workspace` method passes.

* ``viewer`` -- lists and reads flows and runs, sees connection names (not their settings or entities);
* ``editor`` -- also uses connections: calls, tests, discovery previews, saving and running flows;
* ``admin`` -- also changes connections, their entities and tokens (authorize, refresh, disconnect), the
  members, and reads the audit trail.

The first user to open a workspace that has no members becomes its admin. Someone who is not a member of a
workspace that has members may only list what is in it. The window and the CLI both call the workspace, so
one guard here covers both.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from flowdesk.model.errors import NotPermittedError
from flowdesk.store import Role

if TYPE_CHECKING:
    from flowdesk.workspace._workspace import Workspace

ROLE_RANK: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3}

P = ParamSpec("P")
R = TypeVar("R")


def requires(role: Role, action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Guard a :class:`Workspace` method: the acting user needs at least ``role`` to do ``action``.

    ``action`` completes "… needs the admin role" (e.g. ``"adding connections"``). Coroutine functions are
    checked when awaited, other callables (async generators too) when called.
    """

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def guarded_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                check(cast("Workspace", args[0]), role, action)
                return await method(*args, **kwargs)

            return cast(Callable[P, R], guarded_async)

        @functools.wraps(method)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            check(cast("Workspace", args[0]), role, action)
            return method(*args, **kwargs)

        return guarded

    return decorate


def check(ws: Workspace, needed: Role, action: str) -> None:
    """Raise unless the acting user of ``ws`` has at least the ``needed`` role.

    Raises:
        NotPermittedError: naming the user, their role (or that they are not a member), the role needed, and
            how to get it.
    """
    role = ws.role
    if role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]:
        return
    raise denied(ws, role, needed, action)


def denied(ws: Workspace, role: Role | None, needed: Role, action: str) -> NotPermittedError:
    admins = [m.user for m in ws.store.list_members(ws.name) if m.role == "admin"]
    ask = f"ask an admin of workspace {ws.name!r} ({', '.join(admins) or 'none'}) to run"
    command = f"`flowdesk --workspace {_quote(ws.name)} member add {_quote(ws.user)} --role {needed}`"
    if role is None:
        who = f"{ws.user} is not a member of workspace {ws.name!r}"
    else:
        article = "an" if role[0] in "aeiou" else "a"
        who = f"{ws.user} is {article} {role} in workspace {ws.name!r}"
    return NotPermittedError(
        f"permission denied: {who}; {action} needs the {needed} role",
        hint=f"{ask} {command}, or act as another member with --user",
        user=ws.user,
        role=role,
        needed=needed,
        action=action,
    )


def _quote(text: str) -> str:
    return text if text and all(c.isalnum() or c in "-_.@" for c in text) else f'"{text}"'
