"""Reading and changing records: 404s and 422s that name the problem, changes since, orders, media, garbage."""

from __future__ import annotations

import json

import pytest


async def test_an_unknown_customer_is_a_404_that_names_it(api):
    r = await api.get("/customers/999")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "customer 999 does not exist"}


async def test_creating_a_customer_without_name_and_email_is_a_422_naming_both(api):
    r = await api.post("/customers", json={"region": "EU"})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_failed"
    assert body["fields"] == ["name", "email"]
    assert "name" in body["message"] and "email" in body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "email": "no-at-sign"}, "email"),
        ({"name": "A", "email": "a@example.com", "region": "MARS"}, "region"),
        ({"name": "A", "email": "a@example.com", "status": "sleeping"}, "status"),
        ({"name": " ", "email": "a@example.com"}, "name"),
        ({"name": 7, "email": "a@example.com"}, "name"),
    ],
)
async def test_invalid_customer_fields_are_422(api, body, field):
    r = await api.post("/customers", json=body)
    assert r.status_code == 422
    assert r.json()["fields"] == [field]


async def test_a_body_that_is_not_a_json_object_is_a_400(api):
    r = await api.post("/customers", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_json"
    r = await api.post("/customers", json=[1, 2])
    assert r.status_code == 400


async def test_create_read_update_delete_a_customer(api):
    r = await api.post("/customers", json={"name": "Zoe Quist", "email": "zoe@example.com", "extra": "ignored"})
    assert r.status_code == 201
    created = r.json()
    assert created["id"] == 251
    assert r.headers["location"] == "/api/customers/251"
    assert created["region"] == "EU" and created["status"] == "active"
    assert created["created_at"] == created["updated_at"]
    assert "extra" not in created
    assert (await api.get("/customers/251")).json() == created
    assert (await api.get("/customers")).json()["total"] == 251

    r = await api.patch("/customers/251", json={"status": "inactive"})
    assert r.status_code == 200
    updated = r.json()
    assert updated["status"] == "inactive" and updated["name"] == "Zoe Quist"
    assert updated["updated_at"] > created["updated_at"]

    assert (await api.patch("/customers/251", json={"region": "MARS"})).status_code == 422
    assert (await api.patch("/customers/999", json={"status": "active"})).status_code == 404

    assert (await api.delete("/customers/251")).status_code == 204
    assert (await api.get("/customers/251")).status_code == 404
    assert (await api.delete("/customers/251")).status_code == 404


async def test_changes_since_return_only_what_changed_after_the_last_now(api):
    everything = (await api.get("/customers/changes", params={"since": "2000-01-01T00:00:00Z"})).json()
    assert len(everything["data"]) == 250
    now = everything["now"]
    assert (await api.get("/customers/changes", params={"since": now})).json()["data"] == []

    await api.patch("/customers/7", json={"name": "Renamed"})
    changed = (await api.get("/customers/changes", params={"since": now})).json()
    assert [c["id"] for c in changed["data"]] == [7]
    assert changed["data"][0]["name"] == "Renamed"
    assert changed["now"] > now
    assert (await api.get("/customers/changes", params={"since": changed["now"]})).json()["data"] == []


async def test_changes_since_accepts_offsets_and_an_unescaped_plus(api):
    for since in ("2000-01-01T00:00:00+00:00", "2000-01-01T02:00:00+02:00", "2000-01-01"):
        assert len((await api.get("/customers/changes", params={"since": since})).json()["data"]) == 250
    # "+" sent unescaped in a hand-written URL arrives as a space
    r = await api.get("/customers/changes?since=2000-01-01T00:00:00+00:00")
    assert r.status_code == 200 and len(r.json()["data"]) == 250


@pytest.mark.parametrize("since", ["yesterday", "2025-13-01T00:00:00Z", ""])
async def test_an_unreadable_or_missing_since_is_a_400(api, since):
    r = await api.get("/customers/changes", params={"since": since})
    assert r.status_code == 400
    assert r.json()["parameter"] == "since"


async def test_orders_list_by_customer_and_creation(api):
    all_orders = (await api.get("/orders", params={"limit": 500})).json()
    assert all_orders["total"] == len(all_orders["data"]) > 0
    customer_id = all_orders["data"][0]["customer_id"]
    mine = (await api.get("/orders", params={"customer_id": customer_id})).json()["data"]
    assert mine and all(o["customer_id"] == customer_id for o in mine)

    r = await api.post("/orders", json={"customer_id": 3, "amount": 12.5})
    assert r.status_code == 201
    order = r.json()
    assert order["customer_id"] == 3 and order["amount"] == 12.5 and order["id"] == all_orders["total"] + 1
    assert order in (await api.get("/orders", params={"customer_id": 3})).json()["data"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"customer_id": 999, "amount": 5}, ["customer_id"]),
        ({"customer_id": 1}, ["amount"]),
        ({"customer_id": "1", "amount": -3}, ["customer_id", "amount"]),
    ],
)
async def test_an_order_for_an_unknown_customer_or_without_amount_is_a_422(api, body, fields):
    r = await api.post("/orders", json=body)
    assert r.status_code == 422
    assert r.json()["fields"] == fields
    if body.get("customer_id") == 999:
        assert "customer 999 does not exist" in r.json()["message"]


async def test_regions_are_reference_data(api):
    body = (await api.get("/regions")).json()
    assert body == {
        "data": [
            {"code": "EU", "name": "Europe"},
            {"code": "US", "name": "United States"},
            {"code": "APAC", "name": "Asia-Pacific"},
            {"code": "LATAM", "name": "Latin America"},
        ]
    }


async def test_media_upload_then_publish(api):
    r = await api.post("/media", json={"url": "https://example.com/a.png"})
    assert r.status_code == 201
    assert r.json() == {"media": {"id": "m-1", "status": "uploaded"}}
    second = (await api.post("/media", content=b"raw bytes")).json()["media"]
    assert second["id"] == "m-2"
    r = await api.post("/media/m-1/publish")
    assert r.status_code == 200
    assert r.json() == {"id": "m-1", "status": "published"}
    r = await api.post("/media/m-77/publish")
    assert r.status_code == 404
    assert "m-77" in r.json()["message"]


async def test_garbage_claims_json_but_is_not(api):
    r = await api.get("/garbage")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)


async def test_a_wrong_method_is_a_json_405(api):
    r = await api.put("/customers/1", json={})
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
    assert "PATCH" in r.headers["allow"]
