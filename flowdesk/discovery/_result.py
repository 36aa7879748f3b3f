"""What every discovery returns, the one error it raises, and the name bookkeeping all sources share.

Discovery never talks to the network: the caller fetches the description and hands over its text (and, for
OpenAPI documents split over files, a ``load_ref`` callable). A :class:`DiscoveryResult` is plain data the
window and the CLI show for review before anything is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flowdesk.discovery._drift import DriftReport
from flowdesk.model import Entity, EntityOrigin
from flowdesk.model.errors import InvalidConfigError, UserError
from flowdesk.model.files import validate


class SpecError(UserError):
    """The API description is malformed; the message names the document and where in it (``location``)."""

    def __init__(self, source: str, location: str, problem: str, *, hint: str | None = None) -> None:
        self.source = source
        self.location = location
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {problem}", hint=hint)


@dataclass(repr=False)
class DiscoveryResult:
    """Entities found in one API description, plus what the user should review before importing them.

    ``notes`` maps an entity name to the guesses made for it (pagination, data path), so the review screen
    can flag them; ``warnings`` are about the document as a whole; ``extras`` holds JSON-ready information
    that did not become entities (webhooks, bound OData functions, GraphQL subscriptions …). Every entity
    carries its ``origin``; ``drift`` is set by a workspace discovery: what the import did (or, in a dry
    run, would do) to the entities already stored.
    """

    source: str
    title: str | None = None
    entities: list[Entity] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)
    auth_suggestions: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    drift: DriftReport | None = None

    def __repr__(self) -> str:
        # short on purpose: the default repr of a thousand entities takes seconds, and asyncio.run() of
        # Python 3.11 builds the repr of its task's result while restoring the SIGINT handler
        return f"<DiscoveryResult {self.source} {self.title!r}: {len(self.entities)} entities>"

    def entity(self, name: str) -> Entity | None:
        """The entity called ``name``, if discovered."""
        return next((e for e in self.entities if e.name == name), None)

    def stamp_origins(self, ref: str) -> None:
        """Record in every entity that it comes from ``ref`` (a file or URL) and its fingerprint as discovered.

        The fingerprint is taken when an entity is first stamped; stamping again only changes the ref.
        """
        for i, entity in enumerate(self.entities):
            fingerprint = entity.origin.fingerprint if entity.origin is not None else entity.fingerprint()
            origin = EntityOrigin(source=self.source, ref=ref, fingerprint=fingerprint)
            self.entities[i] = entity.model_copy(update={"origin": origin})


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def readable_name(*parts: str) -> str:
    """Join parts into an identifier-like entity name (``get``, ``/pets/{petId}`` → ``get_pets_by_petId``)."""
    words: list[str] = []
    for part in parts:
        for segment in part.split("/"):
            if not segment:
                continue
            if segment.startswith("{") and segment.endswith("}"):
                segment = "by_" + segment[1:-1]
            cleaned = _UNSAFE_NAME.sub("_", segment).strip("_.-")
            if cleaned:
                words.append(cleaned)
    return "_".join(words) or "root"


class EntityCollector:
    """Builds entities through the model, keeping names unique and collecting notes on the way.

    Names must be unique within a connection, and specs do repeat them (two operations with the same
    ``operationId``, a query and a mutation of the same name), so a repeat gets ``_2``, ``_3`` …
    """

    def __init__(self, result: DiscoveryResult) -> None:
        self.result = result
        self._taken: set[str] = set()

    def unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self._taken:
            n += 1
            candidate = f"{name}_{n}"
        self._taken.add(candidate)
        return candidate

    def add(self, data: dict[str, Any], notes: list[str] | None = None) -> Entity | None:
        """Validate ``data`` as an :class:`Entity` and append it; an invalid one becomes a warning.

        Everything put in ``data`` comes from the description, so a failure here means the description
        holds something the model refuses (rather than a programming error worth a traceback).
        """
        original = str(data["name"])
        data = {**data, "name": self.unique(original)}
        if data["name"] != original:
            notes = [*(notes or []), f"renamed from {original!r}: the name was already taken"]
        try:
            entity = validate(Entity, data, f"entity {original!r}")
        except InvalidConfigError as exc:
            problems = "; ".join(f"{loc or 'entity'}: {msg}" for loc, msg in exc.problems)
            self.result.warnings.append(f"{original}: skipped, not a valid entity ({problems})")
            return None
        self.result.entities.append(entity)
        if notes:
            self.result.notes.setdefault(entity.name, []).extend(notes)
        return entity
