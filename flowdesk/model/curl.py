"""cURL commands and httpx snippets: parsing one into a plain request, rendering a request as either.

The request tester copies a request as a shell command or a Python snippet, and fills itself from a
pasted cURL command. Both directions go through :class:`CurlRequest`, a plain description of one HTTP
request (no connection, no templates), so the logic stays testable without a window or a network.
"""

from __future__ import annotations

import json
import pprint
import shlex
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from flowdesk.model.errors import UserError

MASK = "***"

SECRET_HEADER_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "private-token",
    }
)
"""Headers whose values are masked when secrets are left out (compared case-insensitively)."""


class CurlParseError(UserError):
    """A pasted cURL command cannot be understood; the message names the part that is wrong."""


@dataclass
class CurlRequest:
    """One HTTP request as a cURL command describes it.

    ``url`` is absolute and carries the query; ``user`` is ``user:password`` for basic (or, with
    ``digest``, digest) authentication; ``body`` is the raw body text.
    """

    method: str = "GET"
    url: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    user: str | None = None
    digest: bool = False
    insecure: bool = False

    def header(self, name: str) -> str | None:
        """The value of the first header called ``name`` (any case)."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def query(self) -> list[tuple[str, str]]:
        """The URL's query parameters in order (repeated names kept)."""
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def url_without_query(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    @property
    def json_body(self) -> object | None:
        """The body parsed as JSON, or ``None`` when there is none or it is not JSON."""
        if self.body is None:
            return None
        try:
            parsed: object = json.loads(self.body)
        except ValueError:
            return None
        return parsed

    @property
    def is_form(self) -> bool:
        content_type = (self.header("content-type") or "").lower()
        return "x-www-form-urlencoded" in content_type or (
            not content_type and self.body is not None and self.json_body is None and "=" in self.body
        )


# --- parsing ---------------------------------------------------------------------------------------------

_WITH_VALUE_IGNORED = {
    "-o", "--output", "-m", "--max-time", "--connect-timeout", "-x", "--proxy", "-w", "--write-out",
    "--retry", "--retry-delay", "--retry-max-time", "-r", "--range", "-c", "--cookie-jar", "-E", "--cert",
    "--key", "--cacert", "--capath", "-U", "--proxy-user", "--limit-rate", "-T", "--upload-file",
    "--resolve", "--connect-to", "--interface", "-y", "--speed-time", "-Y", "--speed-limit",
}  # fmt: skip
_FLAGS_IGNORED = {
    "-s", "--silent", "-S", "--show-error", "-L", "--location", "-v", "--verbose", "-i", "--include",
    "-f", "--fail", "--fail-with-body", "--compressed", "-#", "--progress-bar", "-N", "--no-buffer",
    "--http1.1", "--http2", "--http2-prior-knowledge", "-n", "--netrc", "--basic", "-g", "--globoff",
    "--location-trusted", "-q", "--disable", "--no-progress-meter", "--raw", "-O", "--remote-name",
}  # fmt: skip
_DATA_OPTIONS = {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii"}
_SHORT_WITH_VALUE = {
    "-X", "-H", "-d", "-u", "-A", "-b", "-e", "-F",
    "-o", "-m", "-x", "-w", "-r", "-c", "-E", "-U", "-T",
}  # fmt: skip


def parse_curl(command: str) -> CurlRequest:
    """The request a cURL command would make.

    Understands ``-X``, ``-H``, ``-d``/``--data*``, ``--data-urlencode``, ``--json``, ``-F`` (as form
    fields), ``-u``, ``--digest``, ``-G``, ``-I``, ``-k``, ``-A``, ``-b``, ``-e``, ``--url`` and ignores
    options that do not change the request (``-s``, ``-L``, ``-o FILE`` …). Shell line continuations
    (``\\`` at the end of a line) are accepted.

    Raises:
        CurlParseError: not a cURL command, unbalanced quotes, an option without its value, no URL.
    """
    text = command.strip().replace("\\\r\n", " ").replace("\\\n", " ")
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError as exc:
        raise CurlParseError(
            f"the cURL command cannot be split into arguments: {exc}", hint="check that every quote is closed"
        ) from exc
    if not tokens or tokens[0].rsplit("/", 1)[-1] not in ("curl", "curl.exe"):
        raise CurlParseError(
            "a cURL command starts with `curl`", hint="paste the whole command, e.g. from a browser's 'Copy as cURL'"
        )
    request = CurlRequest()
    method: str | None = None
    data: list[str] = []
    form: list[str] = []
    as_query = False
    head = False
    index = 1

    def value_of(option: str) -> str:
        nonlocal index
        index += 1
        if index >= len(tokens):
            raise CurlParseError(f"the option {option} needs a value")
        return tokens[index]

    while index < len(tokens):
        token = tokens[index]
        option, attached = token, None
        if token.startswith("--") and "=" in token:
            option, attached = token.split("=", 1)
        elif token.startswith("-") and not token.startswith("--") and len(token) > 2 and token[:2] in _SHORT_WITH_VALUE:
            option, attached = token[:2], token[2:]
        elif token.startswith("-") and not token.startswith("--") and len(token) > 2:
            # bundled flags such as -sSL or -sk; a value-taking flag may end the bundle (-sX POST)
            letters = [f"-{c}" for c in token[1:]]
            tokens[index : index + 1] = letters
            continue

        def take(option: str = option, attached: str | None = attached) -> str:
            return attached if attached is not None else value_of(option)

        if option in ("-X", "--request"):
            method = take().upper()
        elif option in ("-H", "--header"):
            name, sep, value = take().partition(":")
            if not sep:
                raise CurlParseError(f"the header {name!r} has no `Name: value` form")
            request.headers.append((name.strip(), value.strip()))
        elif option in _DATA_OPTIONS:
            data.append(take())
        elif option == "--data-urlencode":
            raw = take()
            name, sep, value = raw.partition("=")
            data.append(f"{name}={quote_plus(value)}" if sep else quote_plus(raw))
        elif option == "--json":
            data.append(take())
            if request.header("content-type") is None:
                request.headers.append(("Content-Type", "application/json"))
            if request.header("accept") is None:
                request.headers.append(("Accept", "application/json"))
        elif option in ("-F", "--form", "--form-string"):
            form.append(take())
        elif option in ("-u", "--user"):
            request.user = take()
        elif option == "--digest":
            request.digest = True
        elif option in ("-G", "--get"):
            as_query = True
        elif option in ("-I", "--head"):
            head = True
        elif option in ("-k", "--insecure"):
            request.insecure = True
        elif option in ("-A", "--user-agent"):
            request.headers.append(("User-Agent", take()))
        elif option in ("-b", "--cookie"):
            request.headers.append(("Cookie", take()))
        elif option in ("-e", "--referer"):
            request.headers.append(("Referer", take()))
        elif option == "--url":
            request.url = take()
        elif option in _WITH_VALUE_IGNORED:
            take()
        elif option in _FLAGS_IGNORED or option.startswith("--"):
            pass  # an option that does not change the request (unknown long options are assumed flags)
        elif option.startswith("-") and option != "-":
            raise CurlParseError(f"unknown cURL option {option}")
        elif not request.url:
            request.url = token
        else:
            raise CurlParseError(f"more than one URL in the cURL command ({request.url!r} and {token!r})")
        index += 1

    if not request.url:
        raise CurlParseError("the cURL command has no URL")
    if "://" not in request.url:
        request.url = "http://" + request.url  # as curl itself assumes
    if form:
        data.extend(form)
        if request.header("content-type") is None:
            request.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    joined = "&".join(data) if data else None
    if as_query and joined is not None:
        separator = "&" if "?" in request.url else "?"
        request.url = f"{request.url}{separator}{joined}"
        joined = None
    request.body = joined
    if method:
        request.method = method
    elif head:
        request.method = "HEAD"
    elif joined is not None:
        request.method = "POST"
    return request


# --- rendering -------------------------------------------------------------------------------------------


def to_curl(request: CurlRequest) -> str:
    """A cURL command (one option per line, shell-quoted) that makes ``request``."""
    lines = [
        "curl"
        + ("" if request.method == "GET" and request.body is None else f" -X {request.method}")
        + f" {shlex.quote(request.url)}"
    ]
    for name, value in request.headers:
        lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if request.user is not None:
        lines.append(("--digest " if request.digest else "") + f"-u {shlex.quote(request.user)}")
    if request.insecure:
        lines.append("-k")
    if request.body is not None:
        lines.append(f"--data-raw {shlex.quote(request.body)}")
    return " \\\n  ".join(lines)


def to_httpx(request: CurlRequest) -> str:
    """A runnable Python snippet using httpx that makes ``request``."""
    args = [repr(request.method), repr(request.url_without_query)]
    query = request.query
    if query:
        args.append(f"params={_literal(_pairs(query))}")
    if request.headers:
        args.append(f"headers={_literal(_pairs(request.headers))}")
    if request.body is not None:
        parsed = request.json_body
        content_type = (request.header("content-type") or "").lower()
        if parsed is not None and ("json" in content_type or not content_type):
            args.append(f"json={_literal(parsed)}")
        elif request.is_form:
            args.append(f"data={_literal(_pairs(parse_qsl(request.body, keep_blank_values=True)))}")
        else:
            args.append(f"content={request.body!r}")
    if request.user is not None:
        username, _, password = request.user.partition(":")
        auth = f"({username!r}, {password!r})"
        args.append(f"auth=httpx.DigestAuth{auth}" if request.digest else f"auth={auth}")
    if request.insecure:
        args.append("verify=False")
    body = ",\n".join("    " + arg.replace("\n", "\n    ") for arg in args)
    return f"import httpx\n\nresponse = httpx.request(\n{body},\n)\nprint(response.status_code)\nprint(response.text)\n"


def _pairs(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        if name in out:
            existing = out[name]
            out[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[name] = value
    return out


def _literal(value: object) -> str:
    return pprint.pformat(value, indent=1, width=100, sort_dicts=False)


# --- masking ---------------------------------------------------------------------------------------------


def is_secret_header(name: str, extra: frozenset[str] = frozenset()) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADER_NAMES or lowered in extra or "token" in lowered or "secret" in lowered


def mask_request(
    request: CurlRequest,
    *,
    secret_query_names: frozenset[str] = frozenset(),
    secret_header_names: frozenset[str] = frozenset(),
    secret_values: tuple[str, ...] = (),
) -> CurlRequest:
    """A copy of ``request`` with credentials replaced by ``***``: auth headers, the password of ``user``,
    the named query parameters, and any of ``secret_values`` wherever it appears."""
    headers = []
    for name, value in request.headers:
        if is_secret_header(name, secret_header_names):
            scheme, sep, _rest = value.partition(" ")
            value = f"{scheme} {MASK}" if sep and scheme.lower() in ("bearer", "basic", "token", "digest") else MASK
        headers.append((name, _scrub(value, secret_values)))
    url = request.url
    parts = urlsplit(url)
    if parts.query and secret_query_names:
        pieces = []
        for piece in parts.query.split("&"):
            name, sep, _value = piece.partition("=")
            pieces.append(f"{name}={MASK}" if sep and name.lower() in secret_query_names else piece)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pieces), parts.fragment))
    user = request.user
    if user is not None and ":" in user:
        user = user.split(":", 1)[0] + ":" + MASK
    body = _scrub(request.body, secret_values) if request.body is not None else None
    return CurlRequest(
        method=request.method,
        url=_scrub(url, secret_values),
        headers=headers,
        body=body,
        user=user,
        digest=request.digest,
        insecure=request.insecure,
    )


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, MASK)
    return text
