"""cURL commands: parsing what browsers and docs paste, rendering cURL and httpx code, masking secrets."""

from __future__ import annotations

import pytest

from flowdesk.model.curl import CurlParseError, CurlRequest, mask_request, parse_curl, to_curl, to_httpx


def test_parses_a_browser_style_command_with_continuations():
    command = """curl 'https://api.example.com/v1/items?limit=5&tag=a' \\
      -X PUT \\
      -H 'Accept: application/json' \\
      -H "Authorization: Bearer abc.def" \\
      --data-raw '{"name": "x", "n": 2}' \\
      --compressed -sSL"""
    request = parse_curl(command)
    assert request.method == "PUT"
    assert request.url_without_query == "https://api.example.com/v1/items"
    assert request.query == [("limit", "5"), ("tag", "a")]
    assert request.headers == [("Accept", "application/json"), ("Authorization", "Bearer abc.def")]
    assert request.json_body == {"name": "x", "n": 2}


def test_data_implies_post_and_get_moves_it_to_the_query():
    assert parse_curl("curl https://x.test/a -d a=1").method == "POST"
    request = parse_curl("curl -G https://x.test/a -d a=1 --data-urlencode 'q=hello world'")
    assert request.method == "GET"
    assert request.query == [("a", "1"), ("q", "hello world")]
    assert request.body is None


def test_attached_values_user_and_flags():
    request = parse_curl("curl -XDELETE -HX-Trace:1 -u me:pw --digest -k --url http://x.test/items/7")
    assert request.method == "DELETE"
    assert request.header("x-trace") == "1"
    assert (request.user, request.digest, request.insecure) == ("me:pw", True, True)
    assert request.url == "http://x.test/items/7"


def test_json_option_sets_headers_and_form_fields_become_a_form():
    request = parse_curl("curl --json '{\"a\": 1}' https://x.test/")
    assert request.method == "POST" and request.header("Content-Type") == "application/json"
    form = parse_curl("curl -F a=1 -F b=2 https://x.test/")
    assert form.is_form and form.body == "a=1&b=2"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("wget https://x.test", "starts with `curl`"),
        ("curl -H", "needs a value"),
        ("curl 'https://x.test", "quote"),
        ("curl -H 'NoColon' https://x.test", "Name: value"),
        ("curl -s", "no URL"),
    ],
)
def test_bad_commands_say_what_is_wrong(command, message):
    with pytest.raises(CurlParseError) as info:
        parse_curl(command)
    assert message in str(info.value)


def test_round_trip_through_to_curl():
    original = CurlRequest(
        method="POST",
        url="https://x.test/a?b=1",
        headers=[("X-Name", "it's")],
        body='{"a": "b c"}',
        user="u:p",
    )
    again = parse_curl(to_curl(original))
    assert again == original


def test_httpx_snippet_runs_as_python():
    request = parse_curl(
        "curl -X POST 'https://x.test/a?b=1&b=2' -H 'Content-Type: application/json' -d '{\"ok\": true}'"
    )
    code = to_httpx(request)
    compile(code, "<snippet>", "exec")
    assert "json={'ok': True}" in code
    assert "params={'b': ['1', '2']}" in code


def test_masking_hides_credentials_everywhere():
    request = CurlRequest(
        url="https://x.test/a?api_key=SECRETKEY&page=2",
        headers=[("Authorization", "Bearer tok123"), ("X-Api-Key", "SECRETKEY"), ("Accept", "*/*")],
        body='{"token": "SECRETKEY"}',
        user="me:pw",
    )
    masked = mask_request(request, secret_query_names=frozenset({"api_key"}), secret_values=("SECRETKEY",))
    text = to_curl(masked)
    assert "SECRETKEY" not in text and "tok123" not in text and ":pw" not in text
    assert "Bearer ***" in text and "api_key=***" in text and "page=2" in text and "me:***" in text
