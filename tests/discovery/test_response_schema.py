"""The JSON Schema of the success response that discovery keeps on each entity (``response_schema``)."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from flowdesk.discovery import discover_graphql, discover_odata, discover_openapi
from flowdesk.discovery._schema import CONTRACT_BUDGET
from flowdesk.model.contract import check_records, record_schema


def _spec(schema: dict, components: dict | None = None) -> str:
    return json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {"operationId": "things", "responses": {"200": {"description": "ok",
                  "content": {"application/json": {"schema": schema}}}}}}},
        "components": {"schemas": components or {}},
    })  # fmt: skip


def _response_schema(schema: dict, components: dict | None = None) -> dict:
    entity = discover_openapi(_spec(schema, components)).entity("things")
    Draft202012Validator.check_schema(entity.response_schema)
    return entity.response_schema


def test_petstore_responses_are_kept_and_valid_json_schema(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"))
    pet = result.entity("getPetById").response_schema
    assert pet["type"] == "object" and pet["required"] == ["name", "photoUrls"]
    assert pet["properties"]["status"] == {"enum": ["available", "pending", "sold"], "type": "string"}
    assert pet["properties"]["tags"]["items"]["properties"]["id"] == {"type": "integer"}
    assert result.entity("findPetsByStatus").response_schema == {"type": "array", "items": pet}
    assert result.entity("deletePet").response_schema is None  # no response body
    for entity in result.entities:
        if entity.response_schema is not None:
            Draft202012Validator.check_schema(entity.response_schema)


def test_swagger2_responses_are_kept(fixture_text):
    result = discover_openapi(fixture_text("petstore-classic.swagger.json"))
    schemas = [e.response_schema for e in result.entities if e.response_schema]
    assert schemas
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


def test_nullable_all_of_one_of_and_write_only():
    components = {
        "User": {"type": "object", "required": ["id", "password"], "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "nullable": True, "description": "not kept", "example": "a@b.c"},
            "role": {"type": "string", "enum": ["admin", "user"], "nullable": True},
            "password": {"type": "string", "writeOnly": True},
            "manager": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Ref"}]},
            "contact": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        }},
        "Ref": {"type": "object", "properties": {"id": {"type": "integer"}}},
    }  # fmt: skip
    schema = _response_schema({"$ref": "#/components/schemas/User"}, components)
    props = schema["properties"]
    assert schema["required"] == ["id"]  # a writeOnly property is never in a response
    assert "password" not in props
    assert props["email"] == {"type": ["string", "null"]}
    assert props["role"] == {"enum": ["admin", "user", None], "type": ["string", "null"]}
    assert props["manager"] == {"anyOf": [{"type": "null"}, {"allOf": [
        {"type": "object", "properties": {"id": {"type": "integer"}}}]}]}  # fmt: skip
    assert props["contact"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}


def test_openapi_31_type_lists_and_cycles():
    components = {"Node": {"type": "object", "properties": {
        "id": {"type": ["integer", "null"]}, "parent": {"$ref": "#/components/schemas/Node"}}}}  # fmt: skip
    spec = json.loads(_spec({"$ref": "#/components/schemas/Node"}, components))
    spec["openapi"] = "3.1.0"
    entity = discover_openapi(json.dumps(spec)).entity("things")
    schema = entity.response_schema
    assert schema["properties"]["id"] == {"type": ["integer", "null"]}
    depth, node = 0, schema
    while "properties" in node:  # the cycle is followed a few levels, then ends
        node, depth = node["properties"]["parent"], depth + 1
    assert 2 <= depth <= 7


def test_a_deeply_linked_schema_is_kept_within_the_budget():
    components = {f"S{i}": {"type": "object", "properties": {
        **{f"f{j}": {"type": "string"} for j in range(30)},
        "next": {"$ref": f"#/components/schemas/S{i + 1}"}, "other": {"$ref": f"#/components/schemas/S{i + 1}"},
    }} for i in range(10)}  # fmt: skip
    components["S10"] = {"type": "object", "properties": {"end": {"type": "boolean"}}}
    schema = _response_schema({"$ref": "#/components/schemas/S0"}, components)
    nodes = json.dumps(schema).count("{")
    assert nodes <= CONTRACT_BUDGET + 50
    assert schema["properties"]["next"]["type"] == "object"  # the first levels are still there


def test_record_schema_follows_the_data_path_of_an_envelope():
    schema = {"type": "object", "properties": {"data": {"type": "object", "properties": {"customers": {
        "type": "array", "items": {"type": "object", "properties": {"email": {"type": "string"}}}}}}}}  # fmt: skip
    entity = discover_openapi(_spec(schema)).entity("things")
    assert entity.data_path == "$.data.customers"
    found, source = record_schema(entity)
    assert source == "response_schema"
    assert found == {"type": "object", "properties": {"email": {"type": "string"}}}
    assert [str(m) for m in check_records(entity, [{"email": None}])] == ["record 0: email: expected string, got null"]


def test_odata_v4_and_v2_response_schemas(fixture_text):
    v4 = discover_odata(fixture_text("trippin-v4.metadata.xml"))
    people = v4.entity("list_People")
    assert people.response_schema["properties"]["value"]["type"] == "array"
    record, source = record_schema(people)
    assert source == "response_schema" and record["properties"]["UserName"] == {"type": "string"}
    assert v4.entity("get_People").response_schema == record
    assert check_records(people, [{"UserName": "russell", "FirstName": "Russell", "Emails": ["a@b.c"]}]) == []
    assert [str(m) for m in check_records(people, [{"UserName": 5}])] == [
        "record 0: UserName: expected string, got integer"
    ]
    assert v4.entity("delete_People").response_schema is None

    v2 = discover_odata(fixture_text("odatademo-v2.metadata.xml"))
    products = v2.entity("list_Products")
    record, _ = record_schema(products)
    assert products.data_path == "$.d.results"
    assert record["properties"]["ID"] == {"type": "integer"}
    assert record["properties"]["Price"] == {"type": ["number", "string"]}  # v2 JSON writes decimals as strings
    assert check_records(products, [{"ID": 1, "Price": "2.5", "Name": None, "Category": {"__deferred": {}}}]) == []
    for entity in [*v4.entities, *v2.entities]:
        if entity.response_schema is not None:
            Draft202012Validator.check_schema(entity.response_schema)


def test_graphql_response_schemas_follow_the_selection(fixture_text):
    result = discover_graphql(fixture_text("swapi.schema.graphql"))
    films = result.entity("allFilms")
    record, source = record_schema(films)
    assert source == "response_schema"
    assert record["properties"]["episodeID"] == {"type": ["integer", "null"]}
    assert record["properties"]["producers"] == {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
    assert check_records(films, [{"title": "A New Hope", "episodeID": 4, "producers": ["Gary Kurtz"]}, None]) == []
    assert [str(m) for m in check_records(films, [{"title": 4}])] == [
        "record 0: title: expected string or null, got integer"
    ]
    for entity in result.entities:
        Draft202012Validator.check_schema(entity.response_schema)
