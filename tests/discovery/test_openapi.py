from __future__ import annotations

import json

import pytest
import yaml
from pydantic import TypeAdapter

from flowdesk.discovery import SpecError, discover_openapi
from flowdesk.model import Connection, Entity
from flowdesk.model.connection import Auth


def _spec(paths: dict, **extra) -> str:
    return json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths, **extra})


def _get(params: list[dict], schema: dict | None = None) -> dict:
    op: dict = {"operationId": "list", "parameters": params, "responses": {"200": {"description": "ok"}}}
    if schema is not None:
        op["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    return {"/things": {"get": op}}


def _q(name: str, **schema) -> dict:
    return {"name": name, "in": "query", "schema": {"type": "integer", **schema}}


# --- the real fixtures -----------------------------------------------------------------------------


def test_petstore_v3_counts_tags_and_base_url(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"), source_name="petstore")
    assert result.source == "openapi-3.0"
    assert result.title == "Swagger Petstore - OpenAPI 3.0"
    assert len(result.entities) == 19
    assert result.extras["tags"] == ["pet", "store", "user"]
    assert {t for e in result.entities for t in e.tags} == {"pet", "store", "user"}
    assert result.base_urls == ["https://petstore3.swagger.io/api/v3"]
    # every entity is a valid model entity and they fit one connection (unique names)
    Connection(name="petstore", base_url=result.base_urls[0], entities=result.entities)


def test_petstore_v3_operation_details(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"))
    by_status = result.entity("findPetsByStatus")
    assert (by_status.method, by_status.path) == ("GET", "/pet/findByStatus")
    status = next(p for p in by_status.parameters if p["name"] == "status")
    assert status["in"] == "query" and status["required"] is False
    assert status["enum"] == ["available", "pending", "sold"] and status["default"] == "available"
    assert by_status.data_path == "$"  # the response is a root array of Pet
    fields = {f.field: (f.type, f.path) for f in by_status.schema_}
    assert fields["id"] == ("integer", "$.id")
    assert fields["category.name"] == ("string", "$.category.name")
    assert fields["tags"] == ("array", "$.tags")

    by_id = result.entity("getPetById")
    assert by_id.path == "/pet/{petId}"
    assert by_id.parameters[0] == {
        "name": "petId", "in": "path", "required": True, "type": "integer", "default": None, "enum": None,
        "description": "ID of pet to return",
    }  # fmt: skip
    assert by_id.data_path == "$" and by_id.idempotent

    add = result.entity("addPet")
    assert add.method == "POST" and add.body_type == "json" and not add.idempotent
    assert add.body["name"] == "{name}" and add.body["photoUrls"] == "{photoUrls}"

    order = result.entity("getOrderById")
    assert {f.field: f.type for f in order.schema_}["shipDate"] == "string(date-time)"
    delete = result.entity("deletePet")
    assert {(p["name"], p["in"]) for p in delete.parameters} == {("api_key", "header"), ("petId", "path")}
    assert delete.data_path is None


def test_petstore_v3_security_schemes(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"))
    assert result.auth_suggestions == [{"type": "api_key", "location": "header", "name": "api_key"}]
    assert any("petstore_auth" in w and "implicit" in w for w in result.warnings)
    assert "unsupported" in result.extras["security_schemes"]["petstore_auth"]
    for suggestion in result.auth_suggestions:
        TypeAdapter(Auth).validate_python(suggestion)


def test_petstore_v31_webhook_relative_server_and_id_refs(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v31.openapi.yaml"))
    assert result.source == "openapi-3.1"
    assert len(result.entities) == 6
    assert [(w["name"], w["method"]) for w in result.extras["webhooks"]] == [("newPet", "POST")]
    assert result.base_urls == ["/api/v31"]
    assert any("/api/v31 is relative" in w for w in result.warnings)
    # `$ref: /components/schemas/petdetails#pet_details_id` names a schema by its $id and $anchor
    fields = {f.field: f.type for f in result.entity("getPetById").schema_}
    assert fields["petDetailsId"] == "integer"
    assert not any("not followed" in w for w in result.warnings)


def test_oai_webhook_example_has_no_operations(fixture_text):
    result = discover_openapi(fixture_text("oai-webhook-example.openapi.json"))
    assert result.entities == []
    assert result.extras["webhooks"] == [
        {
            "name": "newPet",
            "method": "POST",
            "operation_id": None,
            "description": None,
            "payload_fields": ["id", "name", "tag"],
        }
    ]


def test_petstore_classic_swagger2(fixture_text):
    result = discover_openapi(fixture_text("petstore-classic.swagger.json"))
    assert result.source == "swagger-2.0"
    assert len(result.entities) == 20
    assert result.base_urls == ["http://petstore.swagger.io/v2"]
    assert all(not e.path.startswith("/v2") for e in result.entities)  # basePath belongs to the base URL
    by_status = result.entity("findPetsByStatus")
    assert by_status.path == "/pet/findByStatus"
    status = by_status.parameters[0]
    assert (status["name"], status["in"], status["required"], status["type"]) == ("status", "query", True, "array")
    assert status["enum"] == ["available", "pending", "sold"]
    form = result.entity("updatePetWithForm")
    assert form.body_type == "form" and form.body == {"name": "{name}", "status": "{status}"}
    assert [p["name"] for p in form.parameters] == ["petId"]
    upload = result.entity("uploadFile")
    assert upload.body_type == "multipart"
    assert result.entity("addPet").body["name"] == "{name}"
    assert result.entity("createUsersWithArrayInput").body[0]["username"] == "{username}"
    assert result.auth_suggestions == [{"type": "api_key", "location": "header", "name": "api_key"}]


def test_oai_petstore_swagger2(fixture_text):
    result = discover_openapi(fixture_text("oai-petstore.swagger.json"))
    assert [e.name for e in result.entities] == ["listPets", "createPets", "showPetById"]
    listing = result.entity("listPets")
    assert listing.data_path == "$" and listing.pagination.type == "none"
    assert any("only a limit parameter" in n for n in result.notes["listPets"])
    assert [f.field for f in listing.schema_] == ["id", "name", "tag"]


def test_tag_filter(fixture_text):
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"), tags=["Store"])
    assert [e.name for e in result.entities] == ["getInventory", "placeOrder", "getOrderById", "deleteOrder"]
    assert result.extras["skipped_by_tag_filter"] == 15
    result = discover_openapi(fixture_text("swagger-petstore-v3.openapi.yaml"), tags=["nope"])
    assert result.entities == [] and "no operation is tagged 'nope'" in result.warnings


# --- names -----------------------------------------------------------------------------------------


def test_names_without_operation_id_are_readable_and_unique():
    ok = {"responses": {"204": {"description": "none"}}}
    spec = _spec(
        {
            "/pets/{petId}": {"get": ok, "delete": ok},
            "/pets/{pet-id}": {"get": ok},
            "/": {"get": ok},
            "/a": {"get": {**ok, "operationId": "same"}, "post": {**ok, "operationId": "same"}},
        }
    )
    names = [e.name for e in discover_openapi(spec).entities]
    assert names == ["get_pets_by_petId", "delete_pets_by_petId", "get_pets_by_pet-id", "get_root", "same", "same_2"]


# --- data path guesses -----------------------------------------------------------------------------

ITEM = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}


@pytest.mark.parametrize(
    ("schema", "data_path"),
    [
        ({"type": "array", "items": ITEM}, "$"),
        ({"type": "object", "properties": {"data": {"type": "array", "items": ITEM}, "total": {"type": "integer"}}},
         "$.data"),
        ({"type": "object", "properties": {"value": {"type": "array", "items": ITEM}}}, "$.value"),
        ({"type": "object", "properties": {"customers": {"type": "array", "items": ITEM},
                                           "has_more": {"type": "boolean"}}}, "$.customers"),
        ({"type": "object", "properties": {"data": {"type": "object", "properties": {
            "customers": {"type": "array", "items": ITEM}}}}}, "$.data.customers"),
        # a record with a list of objects is not an envelope
        ({"type": "object", "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": ITEM}}}, "$"),
        ({"type": "object", "properties": {"where": {"type": "array", "items": ITEM}}}, '$."where"'),
    ],
)  # fmt: skip
def test_data_path_guess(schema, data_path):
    entity = discover_openapi(_spec(_get([], schema))).entity("list")
    assert entity.data_path == data_path
    if data_path not in ("$",) or schema.get("type") == "array":
        assert [f.field for f in entity.schema_] == ["id", "name"]


# --- pagination guesses ----------------------------------------------------------------------------


def test_offset_pagination_guess():
    result = discover_openapi(_spec(_get([_q("offset"), _q("limit", default=50, maximum=200)])))
    entity = result.entity("list")
    assert entity.pagination.model_dump() == {
        "type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 50, "start": 0, "total_path": None,
    }  # fmt: skip
    assert entity.query == {}
    assert result.notes["list"] == ["pagination guessed from offset+limit (offset, 50 per page)"]


def test_skip_top_pagination_guess():
    entity = discover_openapi(_spec(_get([_q("$skip"), _q("$top", maximum=20)]))).entity("list")
    assert (entity.pagination.offset_param, entity.pagination.limit_param, entity.pagination.limit) == (
        "$skip", "$top", 20,
    )  # fmt: skip


def test_page_pagination_guess():
    result = discover_openapi(_spec(_get([_q("page", minimum=1), _q("per_page", default=30)])))
    pagination = result.entity("list").pagination
    assert (pagination.type, pagination.page_param, pagination.size_param, pagination.size) == (
        "page", "page", "per_page", 30,
    )  # fmt: skip
    assert "pagination guessed from page+per_page" in result.notes["list"][0]


def test_cursor_pagination_guess_finds_the_next_cursor():
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ITEM},
            "meta": {"type": "object", "properties": {"next_cursor": {"type": "string"}}},
        },
    }
    result = discover_openapi(_spec(_get([{"name": "cursor", "in": "query", "schema": {"type": "string"}},
                                          _q("limit")], schema)))  # fmt: skip
    pagination = result.entity("list").pagination
    assert pagination.type == "cursor"
    assert (pagination.cursor_param, pagination.next_cursor_path) == ("cursor", "$.meta.next_cursor")
    assert (pagination.limit_param, pagination.limit) == ("limit", 100)
    assert result.entity("list").data_path == "$.items"


def test_cursor_without_known_next_field_says_so():
    result = discover_openapi(_spec(_get([{"name": "starting_after", "in": "query", "schema": {"type": "string"}}])))
    assert result.entity("list").pagination.next_cursor_path == "$.next_cursor"
    assert any("unknown" in n for n in result.notes["list"])


def test_link_header_pagination_guess():
    spec = _get([])
    spec["/things"]["get"]["responses"]["200"]["headers"] = {"Link": {"schema": {"type": "string"}}}
    assert discover_openapi(_spec(spec)).entity("list").pagination.type == "link_header"


# --- references ------------------------------------------------------------------------------------


def test_ref_cycles_stop_and_show_object():
    components = {
        "schemas": {
            "Node": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "parent": {"$ref": "#/components/schemas/Node"},
                               "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
            },
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"},
        }
    }  # fmt: skip
    spec = _spec(
        {
            "/nodes/{id}": {"get": {"operationId": "node", "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}},
            "/loop": {"get": {"operationId": "loop", "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
        },
        components=components,
    )  # fmt: skip
    result = discover_openapi(spec)
    fields = {f.field: f.type for f in result.entity("node").schema_}
    assert fields == {"id": "integer", "parent": "object", "children": "array"}
    assert result.entity("loop") is not None
    assert any("refers back to itself" in w for w in result.warnings)


def test_relative_file_refs_use_load_ref():
    files = {
        "schemas/pet.yaml": yaml.safe_dump(
            {"Pet": {"type": "object", "properties": {"id": {"type": "integer"}, "owner": {"$ref": "#/Owner"}}},
             "Owner": {"type": "object", "properties": {"name": {"type": "string"}}}}
        ),
        "common.yaml": yaml.safe_dump({"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                                       "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer"}}}),
    }  # fmt: skip
    asked: list[str] = []

    def load_ref(path: str) -> str:
        asked.append(path)
        return files[path]

    spec = _spec(
        {"/pets": {"get": {"operationId": "pets",
                           "parameters": [{"$ref": "common.yaml#/Limit"}, {"$ref": "./common.yaml#/Offset"}],
                           "responses": {"200": {"description": "ok", "content": {"application/json": {
                               "schema": {"type": "array", "items": {"$ref": "schemas/pet.yaml#/Pet"}}}}}}}}}
    )  # fmt: skip
    entity = discover_openapi(spec, load_ref=load_ref).entity("pets")
    assert {f.field: f.type for f in entity.schema_} == {"id": "integer", "owner.name": "string"}
    assert entity.pagination.type == "offset"
    assert sorted(asked) == ["common.yaml", "schemas/pet.yaml"]  # each file read once

    without = discover_openapi(spec)
    assert any("'schemas/pet.yaml' not followed" in w for w in without.warnings)
    assert without.entity("pets") is not None


def test_swagger2_definitions_and_all_of():
    spec = json.dumps({
        "swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "api.example.com", "basePath": "/v1/",
        "schemes": ["https", "http"],
        "paths": {"/pets": {"get": {"operationId": "pets", "responses": {"200": {"description": "ok",
                  "schema": {"$ref": "#/definitions/Page"}}}}}},
        "definitions": {
            "Base": {"properties": {"id": {"type": "integer"}}},
            "Pet": {"allOf": [{"$ref": "#/definitions/Base"}, {"properties": {"name": {"type": "string"}}}]},
            "Page": {"type": "object", "properties": {"results": {"type": "array",
                     "items": {"$ref": "#/definitions/Pet"}}, "next": {"type": "string"}}},
        },
        "securityDefinitions": {
            "cc": {"type": "oauth2", "flow": "application", "tokenUrl": "https://auth.example.com/token",
                   "scopes": {"read": "", "write": ""}},
            "basic": {"type": "basic"},
            "key": {"type": "apiKey", "in": "query", "name": "api_key"},
        },
    })  # fmt: skip
    result = discover_openapi(spec)
    assert result.base_urls == ["https://api.example.com/v1", "http://api.example.com/v1"]
    entity = result.entity("pets")
    assert entity.data_path == "$.results"
    assert [f.field for f in entity.schema_] == ["id", "name"]
    assert result.auth_suggestions == [
        {"type": "oauth2", "grant": "client_credentials", "token_url": "https://auth.example.com/token",
         "scope": "read write"},
        {"type": "basic"},
        {"type": "api_key", "location": "query", "name": "api_key"},
    ]  # fmt: skip


def test_openapi3_servers_and_security_schemes():
    spec = _spec(
        {},
        servers=[{"url": "https://{region}.example.com/{version}/", "variables": {
            "region": {"default": "eu"}, "version": {"default": "v2"}}}],
        components={"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "code": {"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": "https://auth.example.com/authorize", "tokenUrl": "https://auth.example.com/token",
                "scopes": {"a": "", "b": ""}}}},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://auth.example.com/.well-known"},
        }},
    )  # fmt: skip
    result = discover_openapi(spec)
    assert result.base_urls == ["https://eu.example.com/v2"]
    assert result.auth_suggestions == [
        {"type": "bearer"},
        {"type": "oauth2", "grant": "authorization_code", "token_url": "https://auth.example.com/token",
         "authorize_url": "https://auth.example.com/authorize", "scope": "a b"},
    ]  # fmt: skip
    assert any("oidc" in w and "OpenID Connect" in w for w in result.warnings)
    for suggestion in result.auth_suggestions:
        TypeAdapter(Auth).validate_python(suggestion)


def test_form_request_body_openapi3():
    spec = _spec({"/login": {"post": {"operationId": "login", "requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "user": {"type": "string"}, "id": {"type": "integer", "readOnly": True}}}}}},
        "responses": {"204": {"description": "ok"}}}}})  # fmt: skip
    entity = discover_openapi(spec).entity("login")
    assert (entity.body_type, entity.body) == ("form", {"user": "{user}"})
    assert isinstance(entity, Entity)


# --- malformed input -------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(SpecError, match=r"^petstore\.yaml: .*line 4, column 12: mapping values"):
        discover_openapi("openapi: 3.0.0\ninfo:\n  title: x\n  version: : 1\n", source_name="petstore.yaml")


def test_json_syntax_error_names_the_line():
    with pytest.raises(SpecError, match=r"line 2"):
        discover_openapi('{"openapi": "3.0.0",\n "paths": }', source_name="spec.json")


def test_not_an_openapi_document():
    with pytest.raises(SpecError, match="no `openapi` or `swagger` field"):
        discover_openapi("title: hello\n")
    with pytest.raises(SpecError, match=r"version '4\.0' is not supported"):
        discover_openapi("openapi: '4.0'\npaths: {}\n")


@pytest.mark.parametrize(
    ("paths", "where"),
    [
        ([], r"paths: expected a mapping"),
        ({"/pets": []}, r"paths\./pets: expected a mapping of methods"),
        ({"/pets": {"get": "nope"}}, r"paths\./pets\.get: expected an operation"),
        ({"/pets": {"get": {"responses": ["200"]}}}, r"paths\./pets\.get\.responses: expected a mapping"),
        ({"/pets": {"get": {"parameters": {"a": 1}, "responses": {}}}},
         r"paths\./pets\.get\.parameters: expected a list"),
        ({"/pets": {"get": {"parameters": [{"in": "query"}], "responses": {}}}},
         r"paths\./pets\.get\.parameters\[0\]: a parameter needs"),
        ({"pets": {}}, r"paths\.pets: a path must start with '/'"),
    ],
)  # fmt: skip
def test_malformed_structure_names_the_location(paths, where):
    with pytest.raises(SpecError, match=where) as caught:
        discover_openapi(_spec(paths), source_name="api.json")
    assert str(caught.value).startswith("api.json: ")


def test_missing_paths_in_3_0():
    with pytest.raises(SpecError, match="paths: missing"):
        discover_openapi('{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}}')


def test_oauth_scheme_without_a_usable_token_url_is_a_warning():
    spec = _spec({}, components={"securitySchemes": {"cc": {"type": "oauth2", "flows": {
        "clientCredentials": {"tokenUrl": "/token", "scopes": {}}}}}})  # fmt: skip
    result = discover_openapi(spec)
    assert result.auth_suggestions == []
    assert any("security scheme 'cc': cannot be offered" in w and "token_url" in w for w in result.warnings)


# --- broken references ---------------------------------------------------------------------------------


def _with_ref(ref: str, **components) -> str:
    return _spec(
        {"/pets": {"get": {"operationId": "pets", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "array", "items": {"$ref": ref}}}}}}}}},
        components={"schemas": {"Pet": {"type": "object"}, **components}},
    )  # fmt: skip


def test_a_broken_ref_names_the_ref_and_where_it_is_written():
    with pytest.raises(SpecError) as caught:
        discover_openapi(_with_ref("#/components/schemas/Pett"), source_name="api.json")
    assert str(caught.value) == (
        "api.json: paths./pets.get.responses.200.content.application/json.schema.items: "
        "$ref '#/components/schemas/Pett' points at nothing"
    )


def test_a_broken_ref_deep_in_a_component_is_located_there():
    spec = _with_ref("#/components/schemas/Owner", Owner={"type": "object", "properties": {
        "pet": {"$ref": "#/components/schemas/Missing"}}})  # fmt: skip
    with pytest.raises(SpecError, match=r"^api\.json: components\.schemas\.Owner\.properties\.pet: "
                                        r"\$ref '#/components/schemas/Missing' points at nothing$"):  # fmt: skip
        discover_openapi(spec, source_name="api.json")


def test_a_broken_ref_nothing_uses_is_no_error():
    spec = _with_ref("#/components/schemas/Pet", Unused={"$ref": "#/components/schemas/Missing"})
    assert discover_openapi(spec).entity("pets") is not None


def test_a_ref_to_a_file_that_cannot_be_read_names_the_file():
    def load_ref(path: str) -> str:
        raise OSError(f"[Errno 2] No such file or directory: {path!r}")

    with pytest.raises(SpecError, match=r"^api\.json: paths\./pets.*items: \$ref 'pets\.yaml#/Pet' names a file "
                                        r"that cannot be read \(.*pets\.yaml"):  # fmt: skip
        discover_openapi(_with_ref("pets.yaml#/Pet"), source_name="api.json", load_ref=load_ref)


def test_a_malformed_referenced_file_names_the_file_and_line():
    with pytest.raises(SpecError, match=r"^api\.json: \$ref pets\.yaml: .*line 1"):
        discover_openapi(_with_ref("pets.yaml#/Pet"), source_name="api.json", load_ref=lambda path: "a: b: c\n")
