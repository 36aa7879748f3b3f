"""Contract checks: a record schema from an entity, and mismatches named by field, expected and got."""

from __future__ import annotations

import pytest

from flowdesk.model import Entity, SchemaField
from flowdesk.model.contract import ContractChecker, ContractMismatch, check_records, fields_schema, record_schema
from flowdesk.model.errors import InvalidConfigError

CUSTOMER = {
    "type": "object",
    "required": ["id", "email"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "churned"]},
        "address": {"type": "object", "properties": {"city": {"type": ["string", "null"]}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "manager": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"id": {"type": "integer"}}}]},
    },
}


def _entity(data_path: str = "$.data", response: dict | None = None, **fields) -> Entity:
    wrapped = {"type": "object", "properties": {"data": {"type": "array", "items": CUSTOMER}}}
    return Entity(name="customers", data_path=data_path, response_schema=response or wrapped, **fields)


def _texts(entity: Entity, records: list) -> list[str]:
    return [str(m) for m in check_records(entity, records)]


def test_matching_records_give_nothing():
    good = {"id": 1, "email": "a@b.c", "status": "active", "address": {"city": None}, "tags": ["x"], "manager": None}
    assert check_records(_entity(), [good, {"id": 2, "email": "d@e.f", "manager": {"id": 3}}]) == []


def test_each_mismatch_names_record_field_expected_and_got():
    bad = {"id": "7", "email": None, "status": "gone", "address": {"city": 5}, "tags": ["x", 2], "manager": {"id": "m"}}
    assert _texts(_entity(), [{"id": 1, "email": "a"}, bad]) == [
        "record 1: id: expected integer, got string",
        "record 1: email: expected string, got null",
        'record 1: status: expected one of "active", "churned", got "gone"',
        "record 1: address.city: expected string or null, got integer",
        "record 1: tags[1]: expected string, got integer",
        "record 1: manager.id: expected integer, got string",  # the one fitting alternative explains it
    ]


def test_missing_required_fields_and_a_record_of_the_wrong_kind():
    assert _texts(_entity(), [{"id": 1}, "just text"]) == [
        "record 0: email: expected string, got nothing (missing)",
        "record 1: the record: expected object, got string",
    ]
    mismatch = check_records(_entity(), [{"id": 1}])[0]
    assert mismatch == ContractMismatch("email", "string", "nothing (missing)", record=0)
    assert mismatch.to_dict() == {"field": "email", "expected": "string", "got": "nothing (missing)", "record": 0}


def test_mismatches_are_capped_and_counted_on_across_pages():
    checker = ContractChecker(_entity())
    assert len(checker.check([{"id": "x", "email": None}] * 50)) == 20
    assert [m.record for m in checker.check([{"id": 1, "email": "a"}, {"id": "x", "email": "b"}], first_index=100)] == [
        101
    ]


@pytest.mark.parametrize(
    ("data_path", "response"),
    [
        ("$", {"type": "array", "items": CUSTOMER}),
        ("$", CUSTOMER),
        (None, {"type": "array", "items": CUSTOMER}),
        ("$.data", {"type": "object", "properties": {"data": {"type": "array", "items": CUSTOMER}}}),
        ('$."my data"[*]', {"type": "object", "properties": {"my data": {"type": "array", "items": CUSTOMER}}}),
        ("$['data'].items", {"properties": {"data": {"properties": {"items": {"type": "array", "items": CUSTOMER}}}}}),
        ("$.data.edges[*].node", {"properties": {"data": {"properties": {"edges": {"type": "array", "items": {
            "properties": {"node": CUSTOMER}}}}}}}),
        ("$.data", {"allOf": [{"properties": {"total": {"type": "integer"}}},
                              {"properties": {"data": {"type": ["array", "null"], "items": CUSTOMER}}}]}),
        ("$.data", {"$defs": {"c": CUSTOMER},
                    "properties": {"data": {"type": "array", "items": {"$ref": "#/$defs/c"}}}}),
        ("$.data", {"properties": {"data": {"$ref": "#/$defs/list"}},
                    "$defs": {"list": {"type": "array", "items": CUSTOMER}}}),
    ],
)  # fmt: skip
def test_the_record_schema_is_found_along_the_data_path(data_path, response):
    entity = _entity(data_path, response)
    assert record_schema(entity)[1] == "response_schema"
    assert check_records(entity, [{"id": 1, "email": "a"}]) == []
    assert _texts(entity, [{"id": 1, "email": 2}]) == ["record 0: email: expected string, got integer"]


def test_a_path_the_schema_cannot_follow_falls_back_to_the_fields():
    fields = [{"field": "email", "type": "string", "path": "$.email"}, {"field": "n", "type": "integer"}]
    entity = _entity("$.data[?(@.id > 1)]", schema=fields)
    assert record_schema(entity)[1] == "schema"
    assert _texts(entity, [{"email": None, "n": "x"}]) == [
        "record 0: email: expected string, got null",
        "record 0: n: expected integer, got string",
    ]


def test_fields_schema_places_fields_by_path_and_ignores_what_it_cannot_read():
    schema = fields_schema([SchemaField.model_validate(f) for f in (
        {"field": "address.city", "type": "string", "path": "$.address.city"},
        {"field": "when", "type": "string(date-time)", "path": '$."when"'},
        {"field": "anything", "type": "any", "path": "$.anything"},
        {"field": "tags", "type": "array", "path": "$.tags[*]"},
    )])  # fmt: skip
    assert schema == {
        "type": "object",
        "properties": {
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            "when": {"type": "string"},
            "anything": {},
        },
    }
    assert fields_schema([]) is None
    assert fields_schema([SchemaField(field="value", type="integer", path="$")]) == {"type": "integer"}


def test_an_entity_without_contract_checks_nothing():
    checker = ContractChecker(Entity(name="plain", path="/x"))
    assert not checker.active and checker.check([{"a": 1}, 5]) == []


def test_an_invalid_response_schema_is_a_config_error_naming_the_entity():
    entity = Entity(name="broken", response_schema={"type": "array", "items": {"type": "strin"}})
    with pytest.raises(
        InvalidConfigError, match=r"entity 'broken' is invalid:\n  response_schema\.items\.type: 'strin'"
    ):
        ContractChecker(entity)
