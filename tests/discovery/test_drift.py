"""Re-discovery: origins and fingerprints, and plan_rediscovery's groups (pure, no store)."""

from __future__ import annotations

import json

import yaml

from flowdesk.discovery import discover_openapi, entity_differences, plan_rediscovery
from flowdesk.model import Entity, EntityOrigin

REF = "/specs/petstore.yaml"


def _spec(paths: dict) -> str:
    return json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths})


def _list_op(op_id: str, params: list[dict] | None = None, fields: dict | None = None, tags=("pets",)) -> dict:
    schema = {"type": "array", "items": {"type": "object", "properties": fields or {"id": {"type": "integer"}}}}
    return {
        "get": {
            "operationId": op_id,
            "tags": list(tags),
            "parameters": params or [],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
        }
    }


def _discover(paths: dict, **kwargs) -> list[Entity]:
    result = discover_openapi(_spec(paths), source_name="petstore.yaml", **kwargs)
    result.stamp_origins(REF)
    return result.entities


BASE = {"/pets": _list_op("listPets"), "/owners": _list_op("listOwners", tags=("owners",))}


def _edit(entity: Entity, **changes) -> Entity:
    """The entity as a user edits it: the origin stays, the content changes."""
    return Entity.model_validate({**entity.model_dump(by_alias=True), **changes})


# --- origins and fingerprints ------------------------------------------------------------------------------


def test_every_discovered_entity_has_an_origin_with_its_fingerprint(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"), source_name="petstore.yaml")
    for entity in result.entities:
        assert entity.origin == EntityOrigin(
            source="openapi-3.0", ref="petstore.yaml", fingerprint=entity.fingerprint()
        )
    result.stamp_origins(REF)
    assert {e.origin.ref for e in result.entities} == {REF}
    assert all(e.origin.fingerprint == e.fingerprint() for e in result.entities)


def test_the_fingerprint_survives_storing_and_ignores_meaningless_order(fixture_text):
    [entity] = [e for e in _discover(BASE) if e.name == "listPets"]
    stored = Entity.model_validate(
        json.loads(json.dumps(entity.model_dump(mode="json", by_alias=True, exclude_none=True)))
    )
    assert stored.fingerprint() == entity.origin.fingerprint
    exported = Entity.model_validate(entity.model_dump(mode="json", by_alias=True))  # `connection export` keeps nulls
    assert exported.fingerprint() == entity.fingerprint()
    assert _edit(entity, tags=list(reversed(entity.tags))).fingerprint() == entity.fingerprint()
    assert _edit(entity, data_path="$.data").fingerprint() != entity.fingerprint()
    assert _edit(entity, origin=None).fingerprint() == entity.fingerprint()


def test_a_spec_resaved_with_sorted_keys_is_unchanged(fixture_text):
    text = fixture_text("swagger-petstore-v3.openapi.yaml")
    first = discover_openapi(text).entities
    resorted = discover_openapi(yaml.safe_dump(yaml.safe_load(text), sort_keys=True)).entities
    assert [e.fingerprint() for e in first] == [e.fingerprint() for e in resorted]


# --- the groups --------------------------------------------------------------------------------------------


def test_first_import_adds_everything():
    plan = plan_rediscovery([], _discover(BASE), ref=REF)
    assert plan.report.counts()["added"] == 2
    assert [e.name for e in plan.entities] == ["listPets", "listOwners"]
    assert plan.modifies and not plan.removes


def test_the_same_description_again_is_unchanged_and_writes_nothing():
    stored = _discover(BASE)
    plan = plan_rediscovery(stored, _discover(BASE), ref=REF)
    assert plan.report.counts()["unchanged"] == 2
    assert not plan.modifies


def test_an_upstream_change_updates_the_entity_and_says_what_changed():
    stored = _discover(BASE)
    changed = {
        "/pets": _list_op(
            "listPets",
            params=[{"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}}],
            fields={"id": {"type": "string"}, "name": {"type": "string"}},
        ),
        "/owners": BASE["/owners"],
    }
    plan = plan_rediscovery(stored, _discover(changed), ref=REF)
    entry = plan.report.entry("listPets")
    assert entry.status == "changed"
    assert "parameter `limit` (query) added, required" in entry.changes
    assert "schema field `id` retyped: integer → string" in entry.changes
    assert "schema field `name` added (string)" in entry.changes
    assert plan.report.entry("listOwners").status == "unchanged"
    assert [e.name for e in plan.updates] == ["listPets"]
    assert plan.entities[0].schema_[0].type == "string"


def test_path_method_data_path_and_pagination_changes_are_named():
    old = Entity(name="x", path="/a", data_path="$.items", pagination={"type": "offset", "limit": 100})
    new = Entity(name="x", method="POST", path="/b", data_path="$.data", pagination={"type": "cursor"})
    changes = entity_differences(old, new)
    assert changes[:2] == ["method: GET → POST", "path: /a → /b"]
    assert "data path: $.items → $.data" in changes
    assert "pagination: offset → cursor" in changes
    same_type = entity_differences(old, _edit(old, pagination={"type": "offset", "limit": 50}))
    assert same_type == ["pagination (offset): limit 100 → 50"]


def test_an_entity_the_user_edited_is_skipped_with_what_differs():
    stored = [_edit(e, data_path="$.pets") if e.name == "listPets" else e for e in _discover(BASE)]
    plan = plan_rediscovery(stored, _discover(BASE), ref=REF)
    entry = plan.report.entry("listPets")
    assert entry.status == "skipped"
    assert "edited since it was imported" in entry.reason and "has not changed it" in entry.reason
    assert entry.changes == ["data path: $.pets → $"]
    assert plan.entities[0].data_path == "$.pets"  # the user's version is kept
    assert not plan.modifies


def test_an_edited_entity_is_skipped_even_when_upstream_changed_too_and_replace_overwrites():
    stored = [_edit(e, description="mine") if e.name == "listPets" else e for e in _discover(BASE)]
    changed = {**BASE, "/pets": _list_op("listPets", fields={"id": {"type": "string"}})}
    plan = plan_rediscovery(stored, _discover(changed), ref=REF)
    entry = plan.report.entry("listPets")
    assert entry.status == "skipped" and "changed it too" in entry.reason
    assert "schema field `id` retyped: integer → string" in entry.changes

    replaced = plan_rediscovery(stored, _discover(changed), ref=REF, replace=True)
    entry = replaced.report.entry("listPets")
    assert entry.status == "changed" and "overwritten (--replace)" in entry.reason
    assert replaced.entities[0].description is None and replaced.entities[0].schema_[0].type == "string"


def test_an_edit_that_matches_the_new_description_is_unchanged():
    changed = {**BASE, "/pets": _list_op("listPets", fields={"id": {"type": "string"}})}
    upstream = {e.name: e for e in _discover(changed)}
    stored = [_edit(e, schema=upstream[e.name].schema_, response_schema=upstream[e.name].response_schema)
              if e.name == "listPets" else e for e in _discover(BASE)]  # fmt: skip
    plan = plan_rediscovery(stored, _discover(changed), ref=REF)
    assert plan.report.entry("listPets").status == "unchanged"
    assert [e.name for e in plan.updates] == ["listPets"]  # adopts the new origin: no longer "edited"


def test_operations_gone_upstream_are_kept_unless_replace():
    stored = _discover(BASE)
    plan = plan_rediscovery(stored, _discover({"/pets": BASE["/pets"]}), ref=REF)
    entry = plan.report.entry("listOwners")
    assert entry.status == "removed_upstream" and "kept" in entry.reason
    assert [e.name for e in plan.entities] == ["listPets", "listOwners"]
    assert not plan.modifies

    replaced = plan_rediscovery(stored, _discover({"/pets": BASE["/pets"]}), ref=REF, replace=True)
    assert replaced.report.entry("listOwners").status == "removed_upstream"
    assert [e.name for e in replaced.entities] == ["listPets"] and replaced.removes


def test_a_tag_subset_only_reports_removals_within_its_tags():
    stored = _discover(BASE)
    plan = plan_rediscovery(stored, _discover(BASE, tags=["pets"]), ref=REF, tags=["Pets"])
    assert plan.report.entry("listOwners") is None
    assert [e.name for e in plan.entities] == ["listPets", "listOwners"]


def test_hand_made_entities_are_never_touched_without_replace():
    hand_made = [Entity(name="listPets", path="/my-pets"), Entity(name="health", path="/health")]
    plan = plan_rediscovery(hand_made, _discover(BASE), ref=REF)
    entry = plan.report.entry("listPets")
    assert entry.status == "skipped" and "made by hand" in entry.reason
    assert "path: /my-pets → /pets" in entry.changes
    assert plan.report.entry("health") is None  # not from this description: not even listed
    assert [e.name for e in plan.entities] == ["listPets", "health", "listOwners"]
    assert plan.entities[0].path == "/my-pets"

    replaced = plan_rediscovery(hand_made, _discover(BASE), ref=REF, replace=True)
    assert replaced.report.entry("listPets").status == "changed"
    assert replaced.report.entry("health").status == "removed"
    assert [e.name for e in replaced.entities] == ["listPets", "listOwners"]


def test_entities_from_another_description_are_left_alone():
    other = [_edit(e, name="other_" + e.name, origin={**e.origin.model_dump(), "ref": "/other.yaml"})
             for e in _discover(BASE)]  # fmt: skip
    plan = plan_rediscovery(other, _discover({"/pets": BASE["/pets"]}), ref=REF)
    assert plan.report.counts() == {"added": 1, "changed": 0, "skipped": 0, "removed_upstream": 0, "removed": 0,
                                    "unchanged": 0}  # fmt: skip
    assert len(plan.entities) == 3


def test_the_report_as_json():
    stored = _discover(BASE)
    plan = plan_rediscovery(stored, _discover({"/pets": _list_op("listPets", fields={"id": {"type": "string"}})}),
                            ref=REF)  # fmt: skip
    data = plan.report.to_dict()
    assert data["counts"]["changed"] == 1 and data["counts"]["removed_upstream"] == 1
    assert data["changed"] == [{"name": "listPets", "status": "changed",
                                "changes": ["schema field `id` retyped: integer → string"]}]  # fmt: skip
    assert data["removed_upstream"][0]["name"] == "listOwners"
    json.dumps(data)


def test_many_differences_are_capped():
    old = Entity(name="x", schema=[{"field": f"f{i}", "type": "string"} for i in range(30)])
    new = Entity(name="x", schema=[{"field": f"f{i}", "type": "integer"} for i in range(30)])
    changes = entity_differences(old, new)
    assert len(changes) == 13 and changes[-1] == "… and 18 more schema field changes"
