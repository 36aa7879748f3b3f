"""Importing a GitHub-sized OpenAPI 3 description: ``flowdesk entity discover X --openapi FILE``.

usage: python benchmarks/discover_large.py [--reps 3] [--operations 1000] [--keep]

GitHub's public REST description has about 1,000 operations in ~10 MB of JSON: hundreds of component
schemas that refer to each other (nullable ``allOf`` wrappers, arrays of references, a few cycles), shared
parameters and responses by ``$ref``, long markdown descriptions and large examples. No copy is needed:
a spec of the same shape and size is generated (deterministically) into a temporary directory.

Each run is a whole process, as a user would feel it: the first import into an empty connection, then a
re-discovery of the same file (every entity compared with the stored one, nothing to save). Prints the
median seconds and peak RSS of each. Target: under 10 s and under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
from typing import Any

from _harness import FLOWDESK, Timing, flowdesk_env, temp_dir, timed

_VOCABULARY = (
    "repository organization user issue pull request commit branch tag release asset workflow run job "
    "artifact secret variable deployment environment status check suite annotation team member project "
    "column card label milestone comment reaction review thread gist key hook delivery package version "
    "alert scanning advisory license topic collaborator invitation fork star watcher event notification"
)
WORDS = _VOCABULARY.split()
TYPES = ("string", "integer", "boolean", "number", "string", "string", "integer")
FORMATS = {"string": (None, None, "date-time", "uri", "email"), "integer": (None, "int64"), "number": (None,)}


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _description(rng: random.Random, sentences: int) -> str:
    return "\n\n".join(f"{_words(rng, 14).capitalize()}. See `{_words(rng, 2)}` for details." for _ in range(sentences))


def _scalar(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(TYPES)
    schema: dict[str, Any] = {"type": kind, "description": _description(rng, 1)}
    fmt = rng.choice(FORMATS.get(kind, (None,)))
    if fmt:
        schema["format"] = fmt
    if rng.random() < 0.2:
        schema["nullable"] = True
    if kind == "string" and rng.random() < 0.1:
        schema["enum"] = sorted({rng.choice(WORDS) for _ in range(4)})
    schema["example"] = {"string": _words(rng, 2), "integer": rng.randint(1, 10**6), "boolean": True}.get(kind, 1.5)
    return schema


def generate_spec(operations: int, seed: int = 4) -> dict[str, Any]:
    """An OpenAPI 3.0 document of ``operations`` operations shaped like GitHub's (about 10 KB per operation)."""
    rng = random.Random(seed)
    n_schemas = max(20, operations * 2 // 3)
    names = [f"{rng.choice(WORDS)}-{i}" for i in range(n_schemas)]
    schemas: dict[str, Any] = {}
    for i, name in enumerate(names):
        properties: dict[str, Any] = {"id": {"type": "integer", "example": 42}, "node_id": {"type": "string"}}
        for j in range(rng.randint(12, 40)):
            properties[f"{rng.choice(WORDS)}_{j}"] = _scalar(rng)
        # references only point at later schemas, except a few cycles back to the first ones
        for k in range(rng.randint(0, 4)):
            target = names[rng.randrange(i + 1, n_schemas)] if i + 1 < n_schemas else names[0]
            ref = {"$ref": f"#/components/schemas/{target}"}
            shape = rng.random()
            if shape < 0.4:
                properties[f"linked_{k}"] = {"nullable": True, "allOf": [ref]}
            elif shape < 0.7:
                properties[f"linked_{k}s"] = {"type": "array", "items": ref}
            else:
                properties[f"linked_{k}"] = ref
        if i % 50 == 7:
            properties["parent"] = {"$ref": f"#/components/schemas/{names[max(0, i - 3)]}"}
        schemas[name] = {
            "title": name.replace("-", " ").title(),
            "description": _description(rng, 2),
            "type": "object",
            "properties": properties,
            "required": ["id", "node_id", *list(properties)[2:6]],
        }
    parameters = {
        "owner": {"name": "owner", "in": "path", "required": True, "schema": {"type": "string"}},
        "repo": {"name": "repo", "in": "path", "required": True, "schema": {"type": "string"}},
        "per-page": {"name": "per_page", "in": "query", "schema": {"type": "integer", "default": 30, "maximum": 100}},
        "page": {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
        "since": {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        "direction": {"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
    }
    responses = {
        "not_found": {"description": "Resource not found", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/basic-error"}}}},
        "validation_failed": {"description": "Validation failed", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/basic-error"}}}},
    }  # fmt: skip
    schemas["basic-error"] = {
        "type": "object",
        "properties": {"message": {"type": "string"}, "documentation_url": {"type": "string"}},
    }
    examples: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    made = 0
    resources = iter(rng.sample(names, len(names)))
    while made < operations:
        resource = next(resources)
        base = f"/repos/{{owner}}/{{repo}}/{resource}"
        example_name = f"{resource}-items"
        sample = {key: value["example"] for key, value in schemas[resource]["properties"].items() if "example" in value}
        examples[example_name] = {"value": [sample] * 22}
        ref = {"$ref": f"#/components/schemas/{resource}"}
        common = [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"}]
        tag = resource.split("-")[0]
        collection: dict[str, Any] = {
            "get": {
                "summary": f"List {resource}",
                "description": _description(rng, 5),
                "tags": [tag],
                "operationId": f"{tag}/list-{resource}",
                "parameters": [*common, *({"$ref": f"#/components/parameters/{p}"} for p in
                                          ("per-page", "page", "since", "direction"))],
                "responses": {
                    "200": {
                        "description": "Response",
                        "headers": {"Link": {"schema": {"type": "string"}}},
                        "content": {"application/json": {
                            "schema": {"type": "array", "items": ref},
                            "examples": {"default": {"$ref": f"#/components/examples/{example_name}"}},
                        }},
                    },
                    "404": {"$ref": "#/components/responses/not_found"},
                },
            },
            "post": {
                "summary": f"Create {resource}",
                "description": _description(rng, 4),
                "tags": [tag],
                "operationId": f"{tag}/create-{resource}",
                "parameters": common,
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                "responses": {
                    "201": {"description": "Response", "content": {"application/json": {"schema": ref}}},
                    "422": {"$ref": "#/components/responses/validation_failed"},
                },
            },
        }  # fmt: skip
        item_params = [*common, {"name": f"{tag}_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        item: dict[str, Any] = {
            "get": {
                "summary": f"Get {resource}",
                "description": _description(rng, 3),
                "tags": [tag],
                "operationId": f"{tag}/get-{resource}",
                "parameters": item_params,
                "responses": {"200": {"description": "Response", "content": {"application/json": {"schema": ref}}},
                              "404": {"$ref": "#/components/responses/not_found"}},
            },
            "patch": {
                "summary": f"Update {resource}",
                "tags": [tag],
                "operationId": f"{tag}/update-{resource}",
                "parameters": item_params,
                "requestBody": {"content": {"application/json": {"schema": ref}}},
                "responses": {"200": {"description": "Response", "content": {"application/json": {"schema": ref}}}},
            },
            "delete": {
                "summary": f"Delete {resource}",
                "tags": [tag],
                "operationId": f"{tag}/delete-{resource}",
                "parameters": item_params,
                "responses": {"204": {"description": "Response"}},
            },
        }  # fmt: skip
        for path, item_ops in ((base, collection), (f"{base}/{{{tag}_id}}", item)):
            for method in list(item_ops):
                if made >= operations:
                    del item_ops[method]
                else:
                    made += 1
            if item_ops:
                paths[path] = item_ops
    return {
        "openapi": "3.0.3",
        "info": {"title": "GitHub-sized generated API", "version": "1.0.0", "description": _description(rng, 8)},
        "servers": [{"url": "https://api.example.test"}],
        "tags": [{"name": tag} for tag in sorted({n.split("-")[0] for n in names})],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": parameters,
            "responses": responses,
            "examples": examples,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (spec and data)")
    args = parser.parse_args()
    work = temp_dir()
    try:
        spec = generate_spec(args.operations)
        spec_file = work / "github-sized.json"
        spec_file.write_text(json.dumps(spec, indent=1), encoding="utf-8")
        size_mb = spec_file.stat().st_size / 1e6
        first, again = Timing("first import"), Timing("re-discovery (unchanged)")
        for rep in range(args.reps):
            data = work / f"data-{rep}"
            env = flowdesk_env(data)
            conn_file = work / "conn.json"
            conn_file.write_text(json.dumps({"name": "gh", "base_url": "https://api.example.test"}))
            subprocess.run([*FLOWDESK, "connection", "add", str(conn_file)], env=env, check=True, capture_output=True)
            command = [*FLOWDESK, "entity", "discover", "gh", "--openapi", str(spec_file)]
            for timing in (first, again):
                seconds, rss = timed(command, env)
                timing.seconds.append(seconds)
                timing.rss_mb.append(rss)
        listed = subprocess.run(
            [*FLOWDESK, "entity", "list", "gh", "--json"], env=env, check=True, capture_output=True, text=True
        )
        entities = json.loads(listed.stdout)
        stored_kb = len(listed.stdout.encode()) / 1e3
        print(f"spec: {args.operations} operations, {size_mb:.1f} MB JSON; imported {len(entities)} entities "
              f"({stored_kb / max(1, len(entities)):.1f} KB each as JSON)")  # fmt: skip
        print(f"{'run':<28} {'median s':>9} {'min-max s':>12} {'peak RSS MB':>12}")
        for t in (first, again):
            spread = f"{min(t.seconds):.2f}-{max(t.seconds):.2f}"
            print(f"{t.label:<28} {t.median:>9.2f} {spread:>12} {t.peak_rss:>12.1f}")
        ok = max(first.median, again.median) < 10 and max(first.peak_rss, again.peak_rss) < 500
        print("target (< 10 s, < 500 MB): " + ("met" if ok else "MISSED"))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
