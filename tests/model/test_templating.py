from __future__ import annotations

import pytest

from flowdesk.model.templating import TemplateError, placeholders, render, render_text


def test_whole_value_template_keeps_the_type() -> None:
    assert render("{id}", {"id": 7}) == 7
    assert render("{tags}", {"tags": ["a"]}) == ["a"]


def test_text_templates_format_values_and_dotted_paths() -> None:
    item = {"customerId": 5, "Temp": {"mediaId": "m1"}, "ok": True, "lines": [{"sku": "x"}]}
    assert render_text("/customers/{customerId}/media/{Temp.mediaId}", item) == "/customers/5/media/m1"
    assert render_text("{ok}-{lines[0].sku}", item) == "true-x"


def test_variables_resolve_after_fields_and_vars_prefix_always_works() -> None:
    assert render("{limit}", {}, {"limit": 10}) == 10
    assert render("{vars.limit}", {"limit": 1}, {"limit": 10}) == 10
    assert render("{limit}", {"limit": 1}, {"limit": 10}) == 1


def test_nested_structures_and_literal_braces() -> None:
    assert render({"a": ["{x}", "{{x}}"]}, {"x": 1}) == {"a": [1, "{x}"]}


def test_unknown_placeholder_names_it_and_the_fields() -> None:
    with pytest.raises(TemplateError, match=r"\{customer\} matches no field .*fields: customerId"):
        render("{customer}", {"customerId": 1})


def test_placeholders_lists_names() -> None:
    assert placeholders("/a/{x}/b/{y.z}") == ["x", "y.z"]
