from __future__ import annotations

import pytest

from flowdesk.discovery import SpecError, discover_odata
from flowdesk.model import Connection


def test_trippin_v4(fixture_text):
    result = discover_odata(fixture_text("trippin-v4.metadata.xml"))
    assert result.source == "odata-v4"
    assert result.extras["entity_sets"] == ["Photos", "People", "Airlines", "Airports"]
    assert [i for i in result.extras["operation_imports"] if i["kind"] == "function"] == [
        {"name": "GetNearestAirport", "kind": "function"}
    ]
    # 4 sets × list/get/create/update/delete + the singleton + one function import + one action import
    assert len(result.entities) == 4 * 5 + 3
    Connection(
        name="trippin", service="odata", base_url="https://services.odata.org/V4/TripPin", entities=result.entities
    )

    people = result.entity("list_People")
    assert (people.method, people.path, people.data_path) == ("GET", "/People", "$.value")
    assert people.pagination.model_dump() == {
        "type": "offset", "offset_param": "$skip", "limit_param": "$top", "limit": 100, "start": 0, "total_path": None,
    }  # fmt: skip
    assert any("@odata.nextLink" in n for n in result.notes["list_People"])
    fields = {f.field: f.type for f in people.schema_}
    assert fields["UserName"] == "string"
    assert fields["Concurrency"] == "integer"
    assert fields["Emails"] == "array"
    assert fields["Friends"] == "array"  # navigation to many
    assert fields["Photo"] == "object"  # navigation to one

    one = result.entity("get_People")
    assert one.path == "/People('{UserName}')"  # string keys are quoted literals
    assert one.parameters[0]["name"] == "UserName" and one.parameters[0]["required"] is True
    assert one.data_path == "$"
    assert result.entity("get_Photos").path == "/Photos({Id})"
    create = result.entity("create_People")
    assert create.method == "POST" and "Concurrency" not in create.body and "Friends" not in create.body
    update = result.entity("update_People")
    assert update.method == "PATCH" and "UserName" not in update.body
    assert result.entity("delete_People").method == "DELETE"

    airports = {f.field: (f.type, f.path) for f in result.entity("list_Airports").schema_}
    assert airports["Location.Address"] == ("string", "$.Location.Address")
    trip_dates = {f.field: f.type for f in result.entity("get_Me").schema_}
    assert trip_dates["Gender"] == "string"  # an enum

    nearest = result.entity("GetNearestAirport")
    assert (nearest.method, nearest.path) == ("GET", "/GetNearestAirport(lat={lat},lon={lon})")
    assert nearest.data_path == "$" and "IcaoCode" in {f.field for f in nearest.schema_}
    reset = result.entity("ResetDataSource")
    assert (reset.method, reset.path) == ("POST", "/ResetDataSource")
    assert {b["name"] for b in result.extras["bound_operations"]} == {
        "GetFavoriteAirline", "GetInvolvedPeople", "GetFriendsTrips", "ShareTrip",
    }  # fmt: skip


def test_odatademo_v2(fixture_text):
    result = discover_odata(fixture_text("odatademo-v2.metadata.xml"))
    assert result.source == "odata-v2"
    assert result.title == "ODataDemo"
    assert result.extras["entity_sets"] == ["Products", "Categories", "Suppliers"]
    assert result.extras["operation_imports"] == [{"name": "GetProductsByRating", "kind": "function"}]
    assert len(result.entities) == 3 * 5 + 1

    products = result.entity("list_Products")
    assert products.data_path == "$.d.results"
    fields = {f.field: f.type for f in products.schema_}
    assert fields == {
        "ID": "integer", "Name": "string", "Description": "string", "ReleaseDate": "string(date-time)",
        "DiscontinuedDate": "string(date-time)", "Rating": "integer", "Price": "number",
        "Category": "object", "Supplier": "object",
    }  # fmt: skip
    categories = {f.field: f.type for f in result.entity("list_Categories").schema_}
    assert categories["Products"] == "array"  # v2 association end with multiplicity *
    suppliers = {f.field for f in result.entity("get_Suppliers").schema_}
    assert "Address.City" in suppliers  # complex type properties are dotted
    get = result.entity("get_Products")
    assert (get.path, get.data_path) == ("/Products({ID})", "$.d")
    update = result.entity("update_Products")
    assert update.method == "PATCH"
    assert any("MERGE" in n for n in result.notes["update_Products"])

    rating = result.entity("GetProductsByRating")
    assert (rating.method, rating.path, rating.query) == ("GET", "/GetProductsByRating", {"rating": "{rating}"})
    assert rating.data_path == "$.d.results"


COMPOSITE = """<?xml version="1.0"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="Shop" Alias="S" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="Line">
        <Key><PropertyRef Name="OrderId"/><PropertyRef Name="Sku"/></Key>
        <Property Name="OrderId" Type="Edm.Int32" Nullable="false"/>
        <Property Name="Sku" Type="Edm.String" Nullable="false"/>
        <Property Name="Qty" Type="Edm.Decimal"/>
        <Property Name="Shipped" Type="Edm.Boolean"/>
      </EntityType>
      <EntityContainer Name="C">
        <EntitySet Name="Lines" EntityType="S.Line"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"""


def test_composite_keys_and_aliases():
    result = discover_odata(COMPOSITE)
    get = result.entity("get_Lines")
    assert get.path == "/Lines(OrderId={OrderId},Sku='{Sku}')"
    assert [p["name"] for p in get.parameters] == ["OrderId", "Sku"]
    assert {f.field: f.type for f in get.schema_} == {
        "OrderId": "integer", "Sku": "string", "Qty": "number", "Shipped": "boolean",
    }  # fmt: skip


def test_malformed_xml_names_the_line():
    with pytest.raises(SpecError, match=r"^svc/\$metadata: line 3, column \d+: not well-formed XML"):
        discover_odata("<edmx:Edmx xmlns:edmx='x'>\n<a>\n</b>", source_name="svc/$metadata")


def test_not_edmx():
    with pytest.raises(SpecError, match="not an OData \\$metadata document"):
        discover_odata("<html><body/></html>")


def test_entity_expansion_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(SpecError, match="refused"):
        discover_odata(bomb)
