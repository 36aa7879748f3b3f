from __future__ import annotations

import pytest

from flowdesk.discovery import INTROSPECTION_QUERY, SpecError, discover_graphql
from flowdesk.discovery._sdl import parse_sdl
from flowdesk.model import Connection


def test_introspection_query_is_the_standard_one():
    assert INTROSPECTION_QUERY.startswith("query IntrospectionQuery")
    for part in ("__schema", "queryType { name }", "mutationType { name }", "fragment FullType on __Type",
                 "fragment TypeRef on __Type", "ofType"):  # fmt: skip
        assert part in INTROSPECTION_QUERY
    assert INTROSPECTION_QUERY.count("{") == INTROSPECTION_QUERY.count("}")


def test_swapi_sdl(fixture_text):
    result = discover_graphql(fixture_text("swapi.schema.graphql"), endpoint_path="/graphql")
    assert result.source == "graphql"
    assert result.extras["query_fields"] == 13 and result.extras["mutation_fields"] == 0
    assert len(result.entities) == 13
    Connection(name="swapi", service="graphql", base_url="https://swapi.example", entities=result.entities)

    people = result.entity("allPeople")
    assert (people.method, people.path, people.body_type) == ("POST", "/graphql", "json")
    assert people.data_path == "$.data.allPeople.people"
    query = people.body["query"]
    assert query.startswith("query AllPeople($after: String, $first: Int, $before: String, $last: Int) {")
    assert "allPeople(after: $after, first: $first, before: $before, last: $last)" in query
    assert "people { name birthYear" in query and "pageInfo { hasNextPage endCursor }" in query
    assert "homeworld { name" in query  # depth 2: an object field's scalars
    assert people.body["variables"] == {"after": "{after}", "first": "{first}", "before": "{before}", "last": "{last}"}
    fields = {f.field: f.type for f in people.schema_}
    assert (fields["name"], fields["height"], fields["mass"]) == ("string", "integer", "number")
    assert fields["homeworld.name"] == "string"
    assert any("endCursor" in n for n in result.notes["allPeople"])

    film = result.entity("film")
    assert film.data_path == "$.data.film"
    assert film.body["variables"] == {"id": "{id}", "filmID": "{filmID}"}
    node = result.entity("node")
    assert node.body["query"] == "query Node($id: ID!) { node(id: $id) { id } }"
    assert node.parameters[0]["required"] is True and node.parameters[0]["in"] == "variable"


def _t(kind, name=None, of=None):
    return {"kind": kind, "name": name, "ofType": of}


INTROSPECTION = {
    "data": {
        "__schema": {
            "queryType": {"name": "Query"},
            "mutationType": {"name": "Mutation"},
            "subscriptionType": None,
            "types": [
                {"kind": "OBJECT", "name": "Query", "fields": [
                    {"name": "users", "args": [{"name": "role", "type": _t("ENUM", "Role"), "defaultValue": "ADMIN"}],
                     "type": _t("NON_NULL", None, _t("LIST", None, _t("OBJECT", "User")))},
                    {"name": "feed", "args": [{"name": "after", "type": _t("SCALAR", "String")}],
                     "type": _t("OBJECT", "UserConnection")},
                ]},
                {"kind": "OBJECT", "name": "Mutation", "fields": [
                    {"name": "users", "args": [{"name": "name", "type": _t("NON_NULL", None, _t("SCALAR", "String"))}],
                     "type": _t("OBJECT", "User")},
                ]},
                {"kind": "OBJECT", "name": "User", "fields": [
                    {"name": "id", "args": [], "type": _t("NON_NULL", None, _t("SCALAR", "ID"))},
                    {"name": "score", "args": [], "type": _t("SCALAR", "Float")},
                    {"name": "role", "args": [], "type": _t("ENUM", "Role")},
                    {"name": "friends", "args": [{"name": "first", "type": _t("NON_NULL", None, _t("SCALAR", "Int"))}],
                     "type": _t("LIST", None, _t("OBJECT", "User"))},
                ]},
                {"kind": "OBJECT", "name": "UserConnection", "fields": [
                    {"name": "edges", "args": [], "type": _t("LIST", None, _t("OBJECT", "UserEdge"))},
                    {"name": "pageInfo", "args": [], "type": _t("OBJECT", "PageInfo")},
                ]},
                {"kind": "OBJECT", "name": "UserEdge", "fields": [
                    {"name": "node", "args": [], "type": _t("OBJECT", "User")},
                    {"name": "cursor", "args": [], "type": _t("SCALAR", "String")},
                ]},
                {"kind": "OBJECT", "name": "PageInfo", "fields": [
                    {"name": "endCursor", "args": [], "type": _t("SCALAR", "String")},
                    {"name": "hasNextPage", "args": [], "type": _t("SCALAR", "Boolean")},
                ]},
                {"kind": "ENUM", "name": "Role", "enumValues": [{"name": "ADMIN"}, {"name": "USER"}]},
                {"kind": "SCALAR", "name": "String"}, {"kind": "SCALAR", "name": "ID"},
                {"kind": "SCALAR", "name": "Float"}, {"kind": "SCALAR", "name": "Int"},
                {"kind": "SCALAR", "name": "Boolean"},
            ],
        }
    }
}  # fmt: skip


def test_introspection_result():
    result = discover_graphql(INTROSPECTION)
    assert [e.name for e in result.entities] == ["users", "feed", "users_2"]
    users = result.entity("users")
    assert users.path == "" and users.data_path == "$.data.users" and users.idempotent
    assert users.body["query"] == "query Users($role: Role) { users(role: $role) { id score role } }"
    assert users.parameters[0]["enum"] == ["ADMIN", "USER"] and users.parameters[0]["default"] == "ADMIN"
    assert {f.field: f.type for f in users.schema_} == {"id": "string", "score": "number", "role": "string"}
    feed = result.entity("feed")
    assert feed.data_path == "$.data.feed.edges[*].node"
    assert "edges { node { id score role } } pageInfo { hasNextPage endCursor }" in feed.body["query"]
    mutation = result.entity("users_2")
    assert mutation.tags == ["mutation"] and not mutation.idempotent
    assert mutation.body["query"].startswith("mutation Users($name: String!) { users(name: $name)")
    assert any("renamed" in n for n in result.notes["users_2"])


def test_introspection_errors_are_reported():
    with pytest.raises(SpecError, match="introspection query failed: introspection disabled"):
        discover_graphql({"errors": [{"message": "introspection disabled"}]})
    with pytest.raises(SpecError, match="missing: not an introspection result"):
        discover_graphql({"data": {}})


SDL = '''
# a comment
"""Root"""
type Query {
  "one-line description"
  search(text: String! = "x", filter: Filter, limit: Int = 10 @deprecated(reason: "no")): [Result!]!
  me: User @auth(requires: [ADMIN])
}
schema { query: Query }
extend type Query { version: String }
input Filter { tags: [String!] = ["a"], nested: Filter }
union Result = | User | Post
interface Named { name: String }
type User implements Named & Node { id: ID!, name: String }
type Post { title: String }
interface Node { id: ID! }
enum Kind { A B }
scalar Date
directive @auth(requires: [Kind]) repeatable on FIELD_DEFINITION | OBJECT
'''


def test_sdl_reader_handles_the_grammar_we_need():
    schema = parse_sdl(SDL)
    types = {t["name"]: t for t in schema["types"]}
    assert [f["name"] for f in types["Query"]["fields"]] == ["search", "me", "version"]
    search = types["Query"]["fields"][0]
    assert search["description"] == "one-line description"
    assert [a["name"] for a in search["args"]] == ["text", "filter", "limit"]
    assert search["args"][0]["defaultValue"] == '"x"'
    assert search["type"]["kind"] == "NON_NULL" and search["type"]["ofType"]["ofType"]["ofType"]["name"] == "Result"
    assert search["type"]["ofType"]["ofType"]["ofType"]["kind"] == "UNION"
    assert [t["name"] for t in types["Result"]["possibleTypes"]] == ["User", "Post"]
    assert [i["name"] for i in types["User"]["interfaces"]] == ["Named", "Node"]
    result = discover_graphql(SDL)
    assert result.entity("search").body["query"].endswith("{ search(text: $text, filter: $filter, limit: $limit) "
                                                          "{ __typename } }")  # fmt: skip
    assert result.entity("me").body["query"] == "query Me { me { id name } }"


@pytest.mark.parametrize(
    ("sdl", "where"),
    [
        ("type Query {\n  a: \n}", r"line 3, column 1: expected name"),
        ("type Query { a: Missing }", r"types used but never declared: Missing"),
        ("type Query {\n  a: String ^\n}", r"line 2, column 13: unexpected '\^'"),
        ("query { a }", r"line 1, column 1: expected a type"),
    ],
)
def test_sdl_errors_name_the_place(sdl, where):
    with pytest.raises(SpecError, match=where):
        discover_graphql(sdl, source_name="schema.graphql")
