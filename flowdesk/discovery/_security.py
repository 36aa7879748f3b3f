"""OpenAPI ``securitySchemes`` / Swagger ``securityDefinitions`` as suggested connection auth settings.

Suggestions are dicts in the connection file's ``auth`` format, validated through the model so the window
can prefill its editor with them; secrets are left for the user to enter. Schemes flowdesk cannot run
(implicit and password OAuth flows, OpenID Connect discovery, mutual TLS) become warnings that say why.
"""

from __future__ import annotations

from typing import Any

from flowdesk.model import ApiKeyAuth, BasicAuth, BearerAuth, DigestAuth, OAuth2Auth
from flowdesk.model.errors import InvalidConfigError
from flowdesk.model.files import validate

_MODELS: dict[str, type[ApiKeyAuth | BasicAuth | BearerAuth | DigestAuth | OAuth2Auth]] = {
    "api_key": ApiKeyAuth,
    "basic": BasicAuth,
    "bearer": BearerAuth,
    "digest": DigestAuth,
    "oauth2": OAuth2Auth,
}


def suggest_auth(schemes: Any, *, swagger2: bool) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """Map every scheme; returns ``(suggestions, {scheme name: suggestion or reason}, warnings)``."""
    suggestions: list[dict[str, Any]] = []
    by_name: dict[str, Any] = {}
    warnings: list[str] = []
    if not isinstance(schemes, dict):
        return suggestions, by_name, warnings
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict):
            continue
        found, problems = (_swagger2 if swagger2 else _openapi3)(scheme)
        for problem in problems:
            warnings.append(f"security scheme {name!r}: {problem}")
        valid = []
        for suggestion in found:
            try:
                validate(_MODELS[suggestion["type"]], suggestion, f"security scheme {name!r}")
            except InvalidConfigError as exc:
                first = exc.problems[0][1] if exc.problems else "invalid"
                warnings.append(f"security scheme {name!r}: cannot be offered ({first})")
                continue
            valid.append(suggestion)
            if suggestion not in suggestions:
                suggestions.append(suggestion)
        by_name[str(name)] = valid or {"unsupported": "; ".join(problems) or "not mapped"}
    return suggestions, by_name, warnings


def _api_key(scheme: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    location = scheme.get("in")
    if location not in ("header", "query"):
        return [], [f"an API key in {location!r} is not supported (only header or query)"]
    return [{"type": "api_key", "location": location, "name": str(scheme.get("name") or "X-API-Key")}], []


def _scope(scopes: Any) -> str | None:
    return " ".join(str(s) for s in scopes) if isinstance(scopes, dict) and scopes else None


def _oauth(grant: str, token_url: Any, authorize_url: Any, scopes: Any) -> dict[str, Any]:
    suggestion: dict[str, Any] = {"type": "oauth2", "grant": grant, "token_url": str(token_url or "")}
    if grant == "authorization_code":
        suggestion["authorize_url"] = str(authorize_url or "")
    scope = _scope(scopes)
    if scope:
        suggestion["scope"] = scope
    return suggestion


_UNSUPPORTED_FLOW = "the OAuth 2 {flow} flow is not supported (use client credentials or authorization code)"


def _openapi3(scheme: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    kind = scheme.get("type")
    if kind == "apiKey":
        return _api_key(scheme)
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http in ("basic", "bearer", "digest"):
            return [{"type": http}], []
        return [], [f"HTTP authentication scheme {http!r} is not supported"]
    if kind == "oauth2":
        flows: dict[str, Any] = scheme["flows"] if isinstance(scheme.get("flows"), dict) else {}
        found: list[dict[str, Any]] = []
        problems: list[str] = []
        for flow, spec in flows.items():
            spec = spec if isinstance(spec, dict) else {}
            if flow == "clientCredentials":
                found.append(_oauth("client_credentials", spec.get("tokenUrl"), None, spec.get("scopes")))
            elif flow == "authorizationCode":
                found.append(
                    _oauth("authorization_code", spec.get("tokenUrl"), spec.get("authorizationUrl"), spec.get("scopes"))
                )
            else:
                problems.append(_UNSUPPORTED_FLOW.format(flow=flow))
        return found, problems
    if kind == "openIdConnect":
        url = scheme.get("openIdConnectUrl", "")
        return [], [f"OpenID Connect ({url}) is not read automatically: set up oauth2 from its discovery document"]
    if kind == "mutualTLS":
        return [], ["mutual TLS: set the connection's client certificate instead"]
    return [], [f"unknown scheme type {kind!r}"]


def _swagger2(scheme: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    kind = scheme.get("type")
    if kind == "apiKey":
        return _api_key(scheme)
    if kind == "basic":
        return [{"type": "basic"}], []
    if kind == "oauth2":
        flow = scheme.get("flow")
        if flow == "application":
            return [_oauth("client_credentials", scheme.get("tokenUrl"), None, scheme.get("scopes"))], []
        if flow == "accessCode":
            return [
                _oauth(
                    "authorization_code", scheme.get("tokenUrl"), scheme.get("authorizationUrl"), scheme.get("scopes")
                )
            ], []
        return [], [_UNSUPPORTED_FLOW.format(flow=flow)]
    return [], [f"unknown scheme type {kind!r}"]
