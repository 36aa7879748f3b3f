"""Re-discovery: what importing a description again does to the entities a connection already has.

Every discovered entity carries an :class:`~flowdesk.model.EntityOrigin` with a fingerprint of itself as
imported. Comparing that with the stored entity tells the two kinds of difference apart: the user edited
the entity (its fingerprint no longer matches its origin: it is kept, ``skipped``), or the description
changed (the stored entity is untouched since import: it is updated, ``changed``). Entities of the same
description that it no longer has are ``removed_upstream`` and kept; hand-made entities (no origin) are
never touched. ``replace`` overrides all of that: the connection ends up with exactly what was discovered.

Everything here is pure: :func:`plan_rediscovery` returns the entities to store and a :class:`DriftReport`
saying why, and the caller decides whether to save (a dry run does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flowdesk.model import Entity, SchemaField

DriftStatus = Literal["added", "changed", "unchanged", "skipped", "removed_upstream", "removed"]
DRIFT_STATUSES: tuple[DriftStatus, ...] = ("added", "changed", "skipped", "removed_upstream", "removed", "unchanged")
"""In the order a report shows them: what changes first, the long list of unchanged entities last."""

MAX_LISTED_CHANGES = 12
"""Differences listed per entity and kind (parameters, schema fields …); the rest are counted."""


@dataclass
class EntityDrift:
    """What re-discovery does to one entity, and why: ``changes`` lists the differences (stored → described)."""

    name: str
    status: DriftStatus
    changes: list[str] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.reason:
            data["reason"] = self.reason
        if self.changes:
            data["changes"] = list(self.changes)
        return data


@dataclass
class DriftReport:
    """The outcome of comparing a discovery with the stored entities, one entry per entity concerned.

    Stored entities that neither come from this description nor share a name with a discovered one are
    not listed (they are left as they are), except with ``replace``, which removes them (``removed``).
    """

    entries: list[EntityDrift] = field(default_factory=list)
    replace: bool = False
    saved: bool = False
    """Set by whoever stores the plan: whether anything was written (never in a dry run)."""

    def group(self, status: DriftStatus) -> list[EntityDrift]:
        return [e for e in self.entries if e.status == status]

    def counts(self) -> dict[str, int]:
        return {status: len(self.group(status)) for status in DRIFT_STATUSES}

    def entry(self, name: str) -> EntityDrift | None:
        return next((e for e in self.entries if e.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``counts``, then each group as a list of entries."""
        data: dict[str, Any] = {"replace": self.replace, "saved": self.saved, "counts": self.counts()}
        for status in DRIFT_STATUSES:
            data[status] = [e.to_dict() for e in self.group(status)]
        return data


@dataclass
class RediscoveryPlan:
    """The entities to store after a re-discovery, and how to store them cheaply.

    ``entities`` is the complete new list; ``updates`` only those that differ from what is stored (new,
    changed, or given a new origin); ``removes`` says whether any stored entity goes away (then the whole
    list must be written, else writing ``updates`` is enough).
    """

    entities: list[Entity]
    updates: list[Entity]
    removes: bool
    report: DriftReport

    @property
    def modifies(self) -> bool:
        return bool(self.updates) or self.removes


def plan_rediscovery(
    stored: Sequence[Entity],
    discovered: Sequence[Entity],
    *,
    ref: str,
    tags: Sequence[str] = (),
    replace: bool = False,
) -> RediscoveryPlan:
    """Merge ``discovered`` (each with its ``origin`` set) into ``stored``, following the rules above.

    ``ref`` is the description's file or URL as recorded in the origins: stored entities with that ref and
    not discovered again are the ones removed upstream. With ``tags`` (an import of a subset) only stored
    entities carrying one of the tags can be removed upstream, as the others were not looked at.
    """
    report = DriftReport(replace=replace)
    by_name = {e.name: e for e in stored}
    found = {e.name for e in discovered}
    chosen: dict[str, Entity] = {}
    updates: list[Entity] = []

    for new in discovered:
        old = by_name.get(new.name)
        entry, keep_new = _compare(old, new, replace)
        report.entries.append(entry)
        chosen[new.name] = old if old is not None and not keep_new else new
        if keep_new and (old is None or entry.status != "unchanged" or old.origin != new.origin):
            updates.append(new)

    wanted = {t.lower() for t in tags}
    removes = False
    for old in stored:
        if old.name in found:
            continue
        from_here = old.origin is not None and old.origin.ref == ref
        in_scope = not wanted or bool(wanted & {t.lower() for t in old.tags})
        if from_here and in_scope:
            reason = "removed (--replace)" if replace else "kept: --replace removes it"
            report.entries.append(EntityDrift(old.name, "removed_upstream", reason=reason))
        elif replace:
            origin = "made by hand" if old.origin is None else f"imported from {old.origin.ref}"
            report.entries.append(EntityDrift(old.name, "removed", reason=f"{origin}; not in this description"))
        if replace:
            removes = True
        else:
            chosen[old.name] = old

    if replace:
        entities = [chosen[e.name] for e in discovered]
    else:
        entities = [chosen[e.name] for e in stored] + [e for e in discovered if e.name not in by_name]
    return RediscoveryPlan(entities=entities, updates=updates, removes=removes, report=report)


def _compare(old: Entity | None, new: Entity, replace: bool) -> tuple[EntityDrift, bool]:
    """The drift entry for one discovered entity, and whether the discovered version is stored."""
    name = new.name
    if old is None:
        return EntityDrift(name, "added"), True
    current = old.fingerprint()
    fresh = new.origin.fingerprint if new.origin is not None else new.fingerprint()
    if current == fresh:
        # identical now: adopting the new version only refreshes the origin (or gives a hand-made one its first)
        return EntityDrift(name, "unchanged"), old.origin is not None or replace
    changes = entity_differences(old, new)
    if old.origin is None:
        if replace:
            return EntityDrift(name, "changed", changes, "made by hand; replaced (--replace)"), True
        reason = "made by hand, not imported: kept (--replace overwrites it)"
        return EntityDrift(name, "skipped", changes, reason), False
    if current == old.origin.fingerprint:
        return EntityDrift(name, "changed", changes), True
    if fresh != old.origin.fingerprint:
        upstream = "the description changed it too"
    else:
        upstream = "the description has not changed it"
    if replace:
        return EntityDrift(name, "changed", changes, f"your edits were overwritten (--replace); {upstream}"), True
    reason = f"edited since it was imported ({upstream}): kept, --replace overwrites it"
    return EntityDrift(name, "skipped", changes, reason), False


# --- what differs ------------------------------------------------------------------------------------------


def entity_differences(old: Entity, new: Entity) -> list[str]:
    """What differs between two versions of an entity, one line each (``path: /pets → /animals``).

    Parameters, query and header values, request body fields, schema fields and pagination settings are
    compared item by item, so a report says which parameter or field was added, removed or retyped.
    """
    out: list[str] = []
    for attr, label in (("method", "method"), ("path", "path"), ("body_type", "body type")):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            out.append(f"{label}: {_show(before)} → {_show(after)}")
    out += _parameter_changes(old.parameters, new.parameters)
    out += _mapping_changes("query value", old.query, new.query)
    out += _mapping_changes("header", old.headers, new.headers)
    out += _body_changes(old.body, new.body)
    if (old.data_path or "$") != (new.data_path or "$"):
        out.append(f"data path: {old.data_path or '$'} → {new.data_path or '$'}")
    schema_changes = _schema_changes(old.schema_, new.schema_)
    out += schema_changes
    if old.pagination != new.pagination:
        out.append(_pagination_change(old, new))
    if old.response_schema != new.response_schema and not schema_changes:
        if old.response_schema and new.response_schema:
            out.append("response schema changed")
        else:
            out.append("response schema added" if new.response_schema else "response schema removed")
    if old.tags != new.tags:
        out.append(f"tags: {', '.join(old.tags) or 'none'} → {', '.join(new.tags) or 'none'}")
    if old.idempotent != new.idempotent:
        out.append(f"idempotent: {_show(old.idempotent)} → {_show(new.idempotent)}")
    if old.description != new.description:
        out.append("description changed")
    if not out and [f.field for f in old.schema_] != [f.field for f in new.schema_]:
        out.append("schema fields reordered")
    if not out and old.fingerprint() != new.fingerprint():
        out.append("other settings changed")
    return out


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or "''"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LISTED_CHANGES:
        return lines
    return [*lines[:MAX_LISTED_CHANGES], f"… and {len(lines) - MAX_LISTED_CHANGES} more {what} changes"]


def _parameter_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    def key(param: dict[str, Any]) -> tuple[str, str]:
        return str(param.get("name")), str(param.get("in", "?"))

    before = {key(p): p for p in old}
    after = {key(p): p for p in new}
    lines: list[str] = []
    for k, param in after.items():
        label = f"parameter `{k[0]}` ({k[1]})"
        if k not in before:
            lines.append(f"{label} added" + (", required" if param.get("required") else ""))
            continue
        for attr in ("required", "type", "default", "enum"):
            if before[k].get(attr) != param.get(attr):
                lines.append(f"{label}: {attr} {_show(before[k].get(attr))} → {_show(param.get(attr))}")
    lines += [f"parameter `{k[0]}` ({k[1]}) removed" for k in before if k not in after]
    return _capped(lines, "parameter")


def _mapping_changes(what: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = [f"{what} `{k}` added" for k in new if k not in old]
    lines += [f"{what} `{k}` removed" for k in old if k not in new]
    lines += [f"{what} `{k}`: {_show(old[k])} → {_show(new[k])}" for k in new if k in old and old[k] != new[k]]
    return _capped(lines, what)


def _body_changes(old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        lines = [f"request body field `{k}` added" for k in new if k not in old]
        lines += [f"request body field `{k}` removed" for k in old if k not in new]
        lines += [f"request body field `{k}` changed" for k in new if k in old and old[k] != new[k]]
        return _capped(lines, "request body")
    if old is None:
        return ["request body added"]
    if new is None:
        return ["request body removed"]
    return ["request body changed"]


def _schema_changes(old: list[SchemaField], new: list[SchemaField]) -> list[str]:
    before = {f.field: f for f in old}
    after = {f.field: f for f in new}
    lines: list[str] = []
    for name, f in after.items():
        was = before.get(name)
        if was is None:
            lines.append(f"schema field `{name}` added ({f.type})")
            continue
        if was.type != f.type:
            lines.append(f"schema field `{name}` retyped: {was.type} → {f.type}")
        if (was.path or "") != (f.path or ""):
            lines.append(f"schema field `{name}` moved: {was.path or '-'} → {f.path or '-'}")
    lines += [f"schema field `{name}` removed" for name in before if name not in after]
    return _capped(lines, "schema field")


def _pagination_change(old: Entity, new: Entity) -> str:
    before, after = old.pagination, new.pagination
    if before.type != after.type:
        return f"pagination: {before.type} → {after.type}"
    a, b = before.model_dump(), after.model_dump()
    settings = ", ".join(f"{k} {_show(a.get(k))} → {_show(v)}" for k, v in b.items() if a.get(k) != v)
    return f"pagination ({after.type}): {settings}"
