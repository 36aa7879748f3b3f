"""One line saying what a configured node does, for the node's face on the canvas (Qt-free)."""

from __future__ import annotations

import json
from typing import Any

from flowdesk.model.flow import FlowNode


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def node_summary(node: FlowNode) -> str:
    """``demo-crm · list_customers``, ``status == 200``, ``each ids`` … (empty when nothing is set)."""
    config = node.config
    kind = node.type
    if kind == "trigger":
        trigger = config.get("kind", "manual")
        if trigger == "schedule":
            return f"schedule {config.get('cron', '?')}"
        if trigger == "webhook":
            return f"webhook {config.get('hook', '?')}"
        variables = config.get("variables") or {}
        return "manual" + (f" · {', '.join(map(str, variables))}" if variables else "")
    if kind in ("api_call", "lookup"):
        parts = [str(config[k]) for k in ("connection", "entity") if config.get(k)]
        text = " · ".join(parts) if parts else "choose a connection and entity"
        if kind == "api_call" and config.get("all_pages"):
            text += " · all pages"
        if kind == "lookup" and config.get("key"):
            text += f" · {config.get('match', '?')} = {config['key']}"
        return text
    if kind == "webhook_out":
        if config.get("url"):
            return _short(str(config["url"]))
        parts = [str(config[k]) for k in ("connection", "entity") if config.get(k)]
        return " · ".join(parts) if parts else "choose a URL or an entity"
    if kind == "condition":
        return _short(config["expression"]) if config.get("expression") else "write an expression"
    if kind == "loop":
        if config.get("mode", "each") == "while":
            return f"while {_short(config.get('expression') or '?')}"
        return f"each {config.get('field') or '?'}" + (f" as {config['as']}" if config.get("as") else "")
    if kind == "merge":
        mode = config.get("mode", "append")
        return f"{mode} {config.get('inputs', 2)} inputs" + (f" by {config['key']}" if config.get("key") else "")
    if kind == "delay":
        return f"{config.get('seconds', '?')} s"
    if kind == "transform":
        parts = []
        for key in ("set", "compute", "rename"):
            if config.get(key):
                parts.append(f"{key} {', '.join(map(str, config[key]))}")
        if config.get("pick"):
            parts.append(f"pick {', '.join(map(str, config['pick']))}")
        if config.get("drop"):
            parts.append(f"drop {', '.join(map(str, config['drop']))}")
        return _short("; ".join(parts)) if parts else "no changes yet"
    if kind == "output":
        return f"{config.get('format', 'jsonl')} → {config.get('path') or '?'}"
    if kind == "collect":
        return "all items into one list"
    return ""
