"""Members, roles and the audit trail of a workspace (a mixin of :class:`~flowdesk.workspace.Workspace`).

The audit trail has two sources, merged here newest first: ``audit_events`` (who changed what: connections,
entities, tokens, members, flows) and ``api_calls`` (every HTTP attempt, with the user who made it and the
redacted URL). Neither ever holds a secret: the connection runtime redacts URLs before they reach the store,
and audit details name fields, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flowdesk.model.errors import UserError
from flowdesk.store import ApiCallRecord, MemberInfo, Role, Store
from flowdesk.workspace._access import ROLE_RANK, requires

ROLES: tuple[Role, ...] = ("admin", "editor", "viewer")


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit trail: ``kind`` ``change`` (an audit event) or ``call`` (an API call)."""

    at: float
    user: str | None
    kind: Literal["change", "call"]
    action: str
    """``connection.add``, ``connection.authorize``, ``member.add`` … or ``api.call``."""
    target: str
    """The connection, flow or member concerned."""
    detail: dict[str, Any] | None = None


class MemberServices:
    """The roles part of the workspace API."""

    if TYPE_CHECKING:  # provided by Workspace
        store: Store
        user: str

        @property
        def name(self) -> str: ...
        def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None: ...
        def flush(self) -> None: ...

    @property
    def role(self) -> Role | None:
        """The acting user's role here; ``None`` when they are not a member (they may only list)."""
        return self.store.member_role(self.name, self.user)

    def can(self, role: Role) -> bool:
        """Whether the acting user has at least ``role`` (for the window to grey out what it may not do)."""
        mine = self.role
        return mine is not None and ROLE_RANK[mine] >= ROLE_RANK[role]

    def list_members(self) -> list[MemberInfo]:
        """Every member with their role (anyone may list them, so that a refused user sees whom to ask)."""
        return self.store.list_members(self.name)

    @requires("admin", "adding or changing members")
    def add_member(self, user: str, role: Role) -> Role | None:
        """Add ``user`` with ``role`` or change their role; returns the role they had.

        Raises:
            NotPermittedError: the acting user is not an admin.
            UserError: an unknown role or an empty user name.
            ConflictError: it would leave the workspace without an admin.
        """
        if role not in ROLES:
            raise UserError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        before = self.store.set_member(self.name, user, role)
        if before != role:
            detail: dict[str, Any] = {"role": role}
            if before is not None:
                detail["previous_role"] = before
            self._audit("member.add" if before is None else "member.role", user.strip(), detail)
        return before

    @requires("admin", "removing members")
    def remove_member(self, user: str) -> Role:
        """Remove ``user`` from the workspace; returns the role they had.

        Raises:
            NotPermittedError: the acting user is not an admin.
            NotFoundError: ``user`` is not a member.
            ConflictError: ``user`` is the last admin.
        """
        before = self.store.remove_member(self.name, user)
        self._audit("member.remove", user, {"previous_role": before})
        return before

    @requires("admin", "reading the audit trail")
    def audit_trail(self, *, limit: int = 100, calls: bool = True) -> list[AuditRecord]:
        """The newest ``limit`` changes and (with ``calls``) API calls, newest first."""
        if limit < 1:
            raise UserError(f"--limit must be at least 1 (got {limit})")
        self.flush()  # calls of this session are buffered
        records = [
            AuditRecord(e.at, e.user, "change", e.action, e.target, e.detail)
            for e in self.store.list_audit(self.name, limit=limit)
        ]
        if calls:
            records += [_call_record(c) for c in self.store.list_recent_calls(self.name, limit=limit)]
        records.sort(key=lambda r: r.at, reverse=True)
        return records[:limit]


def _call_record(call: ApiCallRecord) -> AuditRecord:
    detail: dict[str, Any] = {"method": call.method, "url": call.url, "status": call.status, "ok": call.ok}
    if call.attempt > 1:
        detail["attempt"] = call.attempt
    if call.entity:
        detail["entity"] = call.entity
    if call.run_id:
        detail["run_id"] = call.run_id
    if call.error:
        detail["error"] = call.error
    return AuditRecord(call.at, call.user, "call", "api.call", call.connection, detail)
