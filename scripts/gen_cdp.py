"""Generate typed Chrome DevTools Protocol bindings from a protocol JSON file.

Reads ``protocol/chromium-156.json`` (what Chromium serves at ``/json/protocol``) and
writes the package ``cdpsession/_cdp/generated/``: one module per domain plus
``__init__.py``. Standard library only.

Usage::

    python scripts/gen_cdp.py                # (re)write the generated package
    python scripts/gen_cdp.py --check        # exit 1 if the committed output is stale
    python scripts/gen_cdp.py --protocol PATH --out DIR

Each domain module holds:

* one ``TypedDict`` / ``Literal`` / alias per protocol type (wire names kept as keys),
* one function per command returning ``Command[<Name>Result]`` with snake_case
  keyword-only parameters (optional ones default to ``None`` and are left out of the
  wire params),
* one ``<Name>Event`` ``TypedDict`` per event and ``EVENTS``, mapping the wire method
  name to it.

Other domains are imported only under ``TYPE_CHECKING``; every type expression that is
evaluated at import time (functional ``TypedDict`` values, alias right-hand sides) quotes
references that are not defined yet, so import never touches another domain module.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROTOCOL = ROOT / "protocol" / "chromium-156.json"
DEFAULT_OUT = ROOT / "cdpsession" / "_cdp" / "generated"

_PRIMITIVES = {
    "string": "str",
    "binary": "str",  # base64-encoded on the wire
    "integer": "int",
    "number": "float",
    "boolean": "bool",
}
# Module-level helper names a generated module may use.
_HELPERS = ("Any", "Literal", "NotRequired", "TypeAlias", "TypedDict", "TYPE_CHECKING", "Command")
_TYPING_HELPERS = ("TYPE_CHECKING", "Any", "Literal", "NotRequired", "TypeAlias", "TypedDict")
# Builtins a generated module refers to; no generated name may shadow them.
_BUILTINS_USED = frozenset({"str", "int", "float", "bool", "list", "dict"})
_PARAMS_VAR = "params"


class ProtocolError(ValueError):
    """The protocol JSON is inconsistent (unknown reference, name clash, ...)."""


# --------------------------------------------------------------------------- naming


def snake_case(name: str) -> str:
    """Convert a camelCase / PascalCase protocol name to snake_case.

    ``DOMStorage`` -> ``dom_storage``, ``waitForDebuggerOnStart`` ->
    ``wait_for_debugger_on_start``, ``getDOMCounters`` -> ``get_dom_counters``.
    """
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def safe_identifier(name: str, reserved: frozenset[str] | set[str] = frozenset()) -> str:
    """Return ``name`` with trailing underscores until it is no keyword nor reserved."""
    while keyword.iskeyword(name) or name in reserved:
        name += "_"
    return name


def module_name(domain: str) -> str:
    """Python module name of a protocol domain (``IndexedDB`` -> ``indexed_db``)."""
    return safe_identifier(snake_case(domain))


def _upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


# --------------------------------------------------------------------------- text


def py_str(text: str) -> str:
    """Python string literal for ``text``, double-quoted when possible."""
    r = repr(text)
    if r.startswith("'") and "'" not in text and '"' not in text:
        r = '"' + r[1:-1] + '"'
    return r


def _first_line(description: str | None) -> str:
    if not description:
        return ""
    for line in description.strip().splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def _summary(item: dict[str, Any], default: str = "") -> str:
    parts = [_first_line(item.get("description")) or default]
    if item.get("experimental"):
        parts.append("Experimental.")
    if item.get("deprecated"):
        parts.append("Deprecated.")
    return " ".join(p for p in parts if p)


def _docstring(text: str, indent: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return f'{indent}"""{body}"""\n'


def _comment(text: str, indent: str = "") -> str:
    return f"{indent}# {text}\n" if text else ""


# --------------------------------------------------------------------------- model


class _Names:
    """Global, deterministic mapping of protocol names to Python names."""

    def __init__(self, protocol: dict[str, Any]) -> None:
        self.domains: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, str] = {}
        self.types: dict[tuple[str, str], str] = {}
        seen_modules: dict[str, str] = {}
        for dom in protocol["domains"]:
            name = dom["domain"]
            if name in self.domains:
                raise ProtocolError(f"duplicate domain {name}")
            mod = module_name(name)
            if mod in seen_modules or mod == "__init__":
                raise ProtocolError(f"domains {seen_modules.get(mod)} and {name} map to {mod}")
            seen_modules[mod] = name
            self.domains[name] = dom
            self.modules[name] = mod
            for t in dom.get("types", []):
                key = (name, t["id"])
                if key in self.types:
                    raise ProtocolError(f"duplicate type {name}.{t['id']}")
                self.types[key] = safe_identifier(t["id"], _BUILTINS_USED)

    def resolve(self, domain: str, ref: str) -> tuple[str, str]:
        """Return ``(domain, id)`` of a ``$ref`` seen in ``domain``."""
        target_domain, _, type_id = ref.rpartition(".")
        key = (target_domain or domain, type_id)
        if key not in self.types:
            raise ProtocolError(f"{domain}: unknown $ref {ref!r}")
        return key


class _DomainWriter:
    """Renders one domain module."""

    def __init__(self, names: _Names, domain: str) -> None:
        self.names = names
        self.domain = domain
        self.spec = names.domains[domain]
        self.module = names.modules[domain]
        self.imports = self._collect_imports()
        self.type_names = [names.types[(domain, t["id"])] for t in self.spec.get("types", [])]
        taken = set(self.type_names)
        if len(taken) != len(self.type_names):
            raise ProtocolError(f"{domain}: two types share a Python name")
        self.result_names: list[str] = []
        for cmd in self.spec.get("commands", []):
            base = _upper_first(cmd["name"])
            name = self._unique(taken, [f"{base}Result", f"{base}Return"])
            self.result_names.append(name)
        self.event_names: list[str] = []
        for ev in self.spec.get("events", []):
            base = _upper_first(ev["name"])
            name = self._unique(taken, [f"{base}Event", f"{base}EventParams"])
            self.event_names.append(name)
        # Helpers get a leading underscore alias only if a protocol name would clash.
        self.helper = {h: (f"_{h}" if h in taken else h) for h in _HELPERS}
        reserved = (
            taken
            | set(self.imports)
            | set(self.helper.values())
            | _BUILTINS_USED
            | {"EVENTS", "annotations"}
        )
        self.function_names: list[str] = []
        for cmd in self.spec.get("commands", []):
            fname = safe_identifier(snake_case(cmd["name"]), reserved)
            if fname in self.function_names:
                raise ProtocolError(f"{domain}: two commands map to function {fname}")
            self.function_names.append(fname)
        self.used_helpers: set[str] = set()
        self.defined: set[str] = set()

    @staticmethod
    def _unique(taken: set[str], candidates: list[str]) -> str:
        for cand in candidates:
            if cand not in taken:
                taken.add(cand)
                return cand
        n = 2
        while f"{candidates[0]}{n}" in taken:
            n += 1
        taken.add(f"{candidates[0]}{n}")
        return f"{candidates[0]}{n}"

    def _collect_imports(self) -> list[str]:
        found: set[str] = set()

        def visit(item: dict[str, Any]) -> None:
            if "$ref" in item:
                dom, _ = self.names.resolve(self.domain, item["$ref"])
                if dom != self.domain:
                    found.add(self.names.modules[dom])
            if "items" in item:
                visit(item["items"])
            for prop in item.get("properties", []):
                visit(prop)

        for t in self.spec.get("types", []):
            visit(t)
        for cmd in self.spec.get("commands", []):
            for p in cmd.get("parameters", []) + cmd.get("returns", []):
                visit(p)
        for ev in self.spec.get("events", []):
            for p in ev.get("parameters", []):
                visit(p)
        return sorted(found)

    def h(self, helper: str) -> str:
        """Emitted name of a helper, recording its use."""
        self.used_helpers.add(helper)
        return self.helper[helper]

    # ----------------------------------------------------------------- expressions

    def annotation(self, item: dict[str, Any], *, runtime: bool) -> str:
        """Type expression for a property / parameter / type body.

        With ``runtime`` the expression is evaluated at import time, so references to
        other modules or to names not defined yet are quoted.
        """
        if "$ref" in item:
            dom, type_id = self.names.resolve(self.domain, item["$ref"])
            pyname = self.names.types[(dom, type_id)]
            if dom != self.domain:
                expr = f"{self.names.modules[dom]}.{pyname}"
                return py_str(expr) if runtime else expr
            if runtime and pyname not in self.defined:
                return py_str(pyname)
            return pyname
        kind = item.get("type")
        if "enum" in item:
            values = ", ".join(py_str(str(v)) for v in item["enum"])
            return f"{self.h('Literal')}[{values}]"
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind == "array":
            items = item.get("items")
            inner = self.annotation(items, runtime=runtime) if items else self.h("Any")
            return f"list[{inner}]"
        if kind == "object":
            return f"dict[str, {self.h('Any')}]"
        if kind == "any":
            return self.h("Any")
        raise ProtocolError(f"{self.domain}: unsupported type {item!r}")

    def typed_dict(self, name: str, fields: list[dict[str, Any]]) -> str:
        """Functional ``TypedDict`` definition (evaluated at runtime)."""
        td = self.h("TypedDict")
        if not fields:
            return f"{name} = {td}({py_str(name)}, {{}})\n"
        lines = [f"{name} = {td}(\n", f"    {py_str(name)},\n", "    {\n"]
        seen: set[str] = set()
        for field in fields:
            key = field["name"]
            if key in seen:
                raise ProtocolError(f"{self.domain}.{name}: duplicate field {key}")
            seen.add(key)
            ann = self.annotation(field, runtime=True)
            if field.get("optional"):
                ann = f"{self.h('NotRequired')}[{ann}]"
            lines.append(f"        {py_str(key)}: {ann},\n")
        lines.append("    },\n)\n")
        return "".join(lines)

    # ----------------------------------------------------------------- sections

    def render_type(self, t: dict[str, Any], pyname: str) -> str:
        out = _comment(_summary(t))
        if t["type"] == "object" and "properties" in t:
            out += self.typed_dict(pyname, t["properties"])
        else:
            rhs = self.annotation(t, runtime=True)
            if rhs[:1] in "\"'":
                out += f"{pyname}: {self.h('TypeAlias')} = {rhs}\n"
            else:
                out += f"{pyname} = {rhs}\n"
        self.defined.add(pyname)
        return out

    def render_command(self, cmd: dict[str, Any], fname: str, result: str) -> str:
        out = self.typed_dict(result, cmd.get("returns", []))
        self.defined.add(result)
        params = cmd.get("parameters", [])
        reserved = {_PARAMS_VAR, "dict", "str", self.helper["Any"], self.helper["Command"]}
        pynames: dict[str, str] = {}
        for p in params:
            pyname = safe_identifier(snake_case(p["name"]), reserved)
            if pyname in pynames.values():
                raise ProtocolError(f"{self.domain}.{cmd['name']}: parameter clash {pyname}")
            pynames[p["name"]] = pyname
        required = [p for p in params if not p.get("optional")]
        optional = [p for p in params if p.get("optional")]
        sig: list[str] = []
        for p in required:
            sig.append(f"{pynames[p['name']]}: {self.annotation(p, runtime=False)}")
        for p in optional:
            sig.append(f"{pynames[p['name']]}: {self.annotation(p, runtime=False)} | None = None")
        command = self.h("Command")
        any_ = self.h("Any")
        out += "\n\n"
        if sig:
            out += f"def {fname}(\n    *,\n" + "".join(f"    {s},\n" for s in sig)
            out += f") -> {command}[{result}]:\n"
        else:
            out += f"def {fname}() -> {command}[{result}]:\n"
        method = f"{self.domain}.{cmd['name']}"
        out += _docstring(_summary(cmd, default=f"``{method}``."), "    ")
        entries = ", ".join(f"{py_str(p['name'])}: {pynames[p['name']]}" for p in required)
        out += f"    {_PARAMS_VAR}: dict[str, {any_}] = {{{entries}}}\n"
        for p in optional:
            var = pynames[p["name"]]
            out += f"    if {var} is not None:\n"
            out += f"        {_PARAMS_VAR}[{py_str(p['name'])}] = {var}\n"
        out += f"    return {command}({py_str(method)}, {_PARAMS_VAR})\n"
        return out

    def render_event(self, ev: dict[str, Any], name: str) -> str:
        out = _comment(_summary(ev, default=f"{self.domain}.{ev['name']}"))
        out += self.typed_dict(name, ev.get("parameters", []))
        self.defined.add(name)
        return out

    def render(self, header: str) -> str:
        sections: list[str] = []
        for t, pyname in zip(self.spec.get("types", []), self.type_names, strict=True):
            sections.append(self.render_type(t, pyname))
        for cmd, fname, result in zip(
            self.spec.get("commands", []), self.function_names, self.result_names, strict=True
        ):
            sections.append(self.render_command(cmd, fname, result))
        for ev, name in zip(self.spec.get("events", []), self.event_names, strict=True):
            sections.append(self.render_event(ev, name))
        any_ = self.h("Any")
        events = "".join(
            f"    {py_str(self.domain + '.' + ev['name'])}: {name},\n"
            for ev, name in zip(self.spec.get("events", []), self.event_names, strict=True)
        )
        sections.append(
            f"EVENTS: dict[str, {any_}] = {{\n{events}}}\n"
            if events
            else f"EVENTS: dict[str, {any_}] = {{}}\n"
        )

        doc = f"CDP domain ``{self.domain}``."
        summary = _summary(self.spec)
        if summary:
            doc += f" {summary}"
        head = header + _docstring(doc, "") + "\nfrom __future__ import annotations\n\n"
        typing_names = [n for n in _TYPING_HELPERS if n in self.used_helpers]
        if self.imports:
            typing_names.append("TYPE_CHECKING")
            self.used_helpers.add("TYPE_CHECKING")
        typing_names = sorted(set(typing_names), key=lambda n: (not n.isupper(), n))
        if typing_names:
            head += (
                "from typing import " + ", ".join(self._import_as(n) for n in typing_names) + "\n"
            )
        if "Command" in self.used_helpers:
            head += f"\nfrom .._command import {self._import_as('Command')}\n"
        if self.imports:
            tc = self.helper["TYPE_CHECKING"]
            head += f"\nif {tc}:\n    from . import {', '.join(self.imports)}\n"
        return head + "\n\n" + "\n\n".join(sections)

    def _import_as(self, helper: str) -> str:
        alias = self.helper[helper]
        return helper if alias == helper else f"{helper} as {alias}"


# --------------------------------------------------------------------------- generation


def _header(source: str) -> str:
    return f"# Generated by scripts/gen_cdp.py from {source}. Do not edit.\n"


def _source_label(protocol_path: Path) -> str:
    path = protocol_path.resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def load_protocol(path: Path) -> dict[str, Any]:
    """Read a protocol JSON file."""
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def generate(
    protocol: dict[str, Any], source: str = "protocol/chromium-156.json"
) -> dict[str, str]:
    """Render the package: a mapping of file name to file content.

    Args:
        protocol: The parsed protocol JSON.
        source: How the header comment names the protocol file.
    """
    names = _Names(protocol)
    header = _header(source)
    files: dict[str, str] = {}
    for domain in names.domains:
        files[f"{names.modules[domain]}.py"] = _DomainWriter(names, domain).render(header)
    version = protocol.get("version", {})
    version_str = f"{version.get('major', '')}.{version.get('minor', '')}"
    modules = sorted(names.modules.values())
    init = header
    init += _docstring(
        "Typed CDP bindings, one module per domain (import only the ones you use).", ""
    )
    init += "\nfrom __future__ import annotations\n\n"
    init += f"PROTOCOL_VERSION = {py_str(version_str)}\n\n"
    init += "# Module names of all domains, sorted.\n"
    init += (
        "DOMAINS: tuple[str, ...] = (\n" + "".join(f"    {py_str(m)},\n" for m in modules) + ")\n\n"
    )
    init += "# Protocol domain name -> module name.\n"
    init += "DOMAIN_MODULES: dict[str, str] = {\n"
    init += "".join(
        f"    {py_str(d)}: {py_str(names.modules[d])},\n" for d in sorted(names.modules)
    )
    init += "}\n"
    files["__init__.py"] = init
    return files


def write_output(files: dict[str, str], out_dir: Path) -> list[str]:
    """Write ``files`` into ``out_dir`` and delete stale ``*.py`` files.

    Returns:
        The names of the files that were written, changed or removed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for stale in sorted(out_dir.glob("*.py")):
        if stale.name not in files:
            stale.unlink()
            changed.append(stale.name)
    for name in sorted(files):
        target = out_dir / name
        data = files[name].encode("utf-8")
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            changed.append(name)
    return changed


def compare_dirs(expected: Path, actual: Path) -> list[str]:
    """List the ``*.py`` files that differ between two folders, with the reason."""
    want = {p.name for p in expected.glob("*.py")}
    have = {p.name for p in actual.glob("*.py")} if actual.is_dir() else set()
    problems: list[str] = []
    for name in sorted(want | have):
        if name not in have:
            problems.append(f"missing: {name}")
        elif name not in want:
            problems.append(f"extra: {name}")
        elif (expected / name).read_bytes() != (actual / name).read_bytes():
            problems.append(f"differs: {name}")
    return problems


def check(protocol_path: Path = DEFAULT_PROTOCOL, out_dir: Path = DEFAULT_OUT) -> list[str]:
    """Regenerate into a temporary folder and compare with ``out_dir``.

    Returns:
        One line per stale file (``missing: x.py``, ``extra: y.py``, ``differs: z.py``);
        empty when ``out_dir`` is current.
    """
    files = generate(load_protocol(protocol_path), _source_label(protocol_path))
    with tempfile.TemporaryDirectory(prefix="gen_cdp_") as tmp:
        fresh = Path(tmp)
        write_output(files, fresh)
        return compare_dirs(fresh, out_dir)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Generate typed CDP bindings.")
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    parser.add_argument("--protocol", type=Path, default=DEFAULT_PROTOCOL, help="protocol JSON")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output package folder")
    args = parser.parse_args(argv)
    protocol_path: Path = args.protocol
    out_dir: Path = args.out
    if args.check:
        problems = check(protocol_path, out_dir)
        if problems:
            print(f"{out_dir} is out of date with {protocol_path}:", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print("Run: python scripts/gen_cdp.py", file=sys.stderr)
            return 1
        print(f"{out_dir} is up to date.")
        return 0
    files = generate(load_protocol(protocol_path), _source_label(protocol_path))
    changed = write_output(files, out_dir)
    print(f"Wrote {len(files)} files to {out_dir} ({len(changed)} changed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
