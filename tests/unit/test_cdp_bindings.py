"""The generated CDP bindings are current, complete and build the right wire params."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cdpsession._cdp._command import Command
from cdpsession._cdp.generated import DOMAINS, network, page, target

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_cdp.py"
PROTOCOL = ROOT / "protocol" / "chromium-156.json"
GENERATED = "cdpsession._cdp.generated"


def _load_generator() -> ModuleType:
    name = "_gen_cdp_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _protocol() -> dict[str, Any]:
    with PROTOCOL.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"{GENERATED}.{name}") for name in DOMAINS]


def test_generated_package_is_current() -> None:
    gen = _load_generator()
    problems: list[str] = gen.check(PROTOCOL, ROOT / "cdpsession" / "_cdp" / "generated")
    assert problems == [], "run: python scripts/gen_cdp.py\n" + "\n".join(problems)


def test_every_domain_has_a_module() -> None:
    protocol = _protocol()
    gen = _load_generator()
    assert sorted(gen.module_name(d["domain"]) for d in protocol["domains"]) == list(DOMAINS)


def test_counts_match_protocol() -> None:
    protocol = _protocol()
    want_commands = sum(len(d.get("commands", [])) for d in protocol["domains"])
    want_events = sum(len(d.get("events", [])) for d in protocol["domains"])
    commands = 0
    events = 0
    methods: set[str] = set()
    for module in _modules():
        for _, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__:
                commands += 1
        module_events: dict[str, Any] = module.EVENTS
        events += len(module_events)
        methods.update(module_events)
    assert commands == want_commands == 674
    assert events == want_events == 232
    assert methods == {
        f"{d['domain']}.{e['name']}" for d in protocol["domains"] for e in d.get("events", [])
    }


def test_page_navigate_omits_none() -> None:
    cmd = page.navigate(url="http://x/", transition_type="link")
    assert isinstance(cmd, Command)
    assert cmd.method == "Page.navigate"
    assert cmd.params == {"url": "http://x/", "transitionType": "link"}


def test_target_set_auto_attach() -> None:
    cmd = target.set_auto_attach(auto_attach=True, wait_for_debugger_on_start=True, flatten=True)
    assert cmd.method == "Target.setAutoAttach"
    assert cmd.params == {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}


def test_network_set_user_agent_override() -> None:
    cmd = network.set_user_agent_override(user_agent="x")
    assert cmd.method == "Network.setUserAgentOverride"
    assert cmd.params == {"userAgent": "x"}


def test_command_without_params() -> None:
    cmd = page.enable()
    assert cmd.method == "Page.enable"
    assert cmd.params == {}


def test_events_map_to_typed_dicts() -> None:
    assert "Page.loadEventFired" in page.EVENTS
    event = page.EVENTS["Page.loadEventFired"]
    assert event is page.LoadEventFiredEvent
    assert event.__required_keys__ == frozenset({"timestamp"})


def test_optional_keys_are_not_required() -> None:
    assert "frameId" in page.NavigateResult.__required_keys__
    assert "errorText" in page.NavigateResult.__optional_keys__


def test_keyword_property_names_survive() -> None:
    has_type = any(
        t["id"] == "ServiceWorkerRouterCondition"
        for d in _protocol()["domains"]
        if d["domain"] == "ServiceWorker"
        for t in d.get("types", [])
    )
    if not has_type:
        pytest.skip("ServiceWorker.ServiceWorkerRouterCondition not in this protocol")
    service_worker = importlib.import_module(f"{GENERATED}.service_worker")
    condition = service_worker.ServiceWorkerRouterCondition
    keys = condition.__required_keys__ | condition.__optional_keys__
    assert {"or", "not"} <= keys
    assert {"or", "not"} <= set(condition.__annotations__)
