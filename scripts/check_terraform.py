#!/usr/bin/env python3
"""Checks for the Terraform modules in terraform/, without a terraform binary or provider registry.

Every .tf file under terraform/ (the root module, terraform/modules/*, terraform/examples/*):
  - parses with an HCL parser (PyPI python-hcl2, pinned in .ci/run);
  - in each module directory: every var.x, local.x, module.x.y, data.t.n and resource reference
    resolves to something the module declares (module outputs: in the called module's
    directory), provider references name a declared provider or configuration alias, and no
    variable or local is left unused (a variable used only in its own validation is unused);
  - every variable has a description and a type;
  - every checkov skip comment carries an id and a reason: #checkov:skip=CKV_AZURE_35: why
  - nothing refers to files outside the repository.

The root module against arm/azuredeploy.json (the template it mirrors):
  - one variable per template parameter, named in snake_case (resource_group_name is the only
    Terraform-only input), with the template's default, allowedValues, minValue/maxValue and
    minLength/maxLength as validation blocks, and sensitive where the parameter is secure;
  - one output per template output (diagnosticSettingCommand excepted), and the outputs the
    module promises;
  - the template's built-in role ids, container names and platform rules: Flex Consumption is
    sent only the site properties and siteConfig it accepts and no Flex-forbidden app setting,
    Premium selects the custom runtime, identity-based connections name their credential,
    every role assignment goes to the app's identity, HTTPS/TLS 1.2/FTPS and basic-auth
    publishing as the template sets them, secrets written only through write-only arguments.
  (Which app settings the module writes, per plan and Event Hub mode, against the template and
  the binary: tests/settings_contract.rs, run by cargo test.)

Then `checkov -d terraform --framework terraform --quiet --compact`; any failed check fails.

Usage: python3 scripts/check_terraform.py [--no-checkov] [--terraform-dir DIR]
Exit status 0 when everything passes. Python 3.11 standard library plus python-hcl2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import hcl2  # python-hcl2
except ImportError:  # pragma: no cover - environment problem, reported plainly
    print(
        "python-hcl2 is not installed. Install it into its own venv (checkov ships a fork that\n"
        "owns the same 'hcl2' package): python3 -m venv ~/.cache/hcl && ~/.cache/hcl/bin/pip\n"
        "install python-hcl2==8.1.4, then run this script with that venv's python3."
    )
    sys.exit(1)

if not hasattr(hcl2, "parses_to_tree"):
    print(
        "the 'hcl2' module found is not python-hcl2 8.x (checkov's fork bc-python-hcl2 installs a\n"
        "package of the same name): run this script with the python3 of the venv that .ci/run\n"
        "creates for python-hcl2."
    )
    sys.exit(1)

import check_templates as arm  # noqa: E402  (shared platform rules: one list for both checks)

SKIP_RE = re.compile(r"checkov:skip=([^\s:]*)(?::\s*(.*))?")
SKIP_OK_RE = re.compile(r"^CKV2?_[A-Z]+_\d+$")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
SPECIAL_ROOTS = {"each", "count", "self", "path", "terraform"}
KEYWORDS = {"true", "false", "null", "for", "in", "if"}
TF_ONLY_VARIABLES = {"resource_group_name": "ARM takes the resource group from the deployment's scope"}
OUTPUT_RENAMES = {"functionAppResourceId": "function_app_id"}
OUTPUTS_WITHOUT_COUNTERPART = {"diagnosticSettingCommand": "the diagnostic setting is modules/entra-diagnostic-setting"}
PROMISED_OUTPUTS = {
    "function_app_name",
    "function_app_id",
    "function_app_principal_id",
    "diagnostic_setting_authorization_rule_id",
}


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, what: str, problems: list[str]) -> None:
        if not problems:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  {what}")
            for p in problems[:40]:
                print(f"          - {p}")
            if len(problems) > 40:
                print(f"          - ... {len(problems) - 40} more")


# ---------------------------------------------------------------------------------------------
# Values as python-hcl2 8.x gives them: a string literal keeps its quotes ("\"abc\""), an
# expression is "${...}", numbers and bools are Python values, blocks are dicts (labels quoted).
# ---------------------------------------------------------------------------------------------


def unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == '"' and label[-1] == '"' else label


def literal(value: Any) -> Any:
    """The Python value of a literal (string, number, bool, list, object); None for null.
    Raises ValueError for an expression."""
    if isinstance(value, str):
        if value == "${null}":
            return None
        if value.startswith('"') and value.endswith('"') and "${" not in value:
            return json.loads(value)
        raise ValueError(value)
    if isinstance(value, list):
        return [literal(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): literal(v) for k, v in value.items() if not k.startswith("__")}
    return value


def expr_text(value: Any) -> str:
    """The source text of an attribute value, for textual checks."""
    if isinstance(value, str):
        return value[2:-1] if value.startswith("${") and value.endswith("}") else value
    return json.dumps(value)


def attributes(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if not k.startswith("__")}


def strings_in(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k.startswith("__"):
                continue
            yield k
            yield from strings_in(v)


# ---------------------------------------------------------------------------------------------
# References in expression text
# ---------------------------------------------------------------------------------------------


def code_spans(text: str) -> Iterator[str]:
    """The parts of text that are expression code: outside string literals, plus the insides
    of ${...} and %{...} in string literals (nested to any depth). A value python-hcl2 gives
    as a quoted template ("a${b}c") starts inside a string."""
    out: list[str] = []
    # Stack of states: "code" (with a brace depth) or "str".
    stack: list[list[Any]] = [["str", 0]] if text.startswith('"') else [["code", 0]]
    i = 1 if text.startswith('"') else 0
    if text.startswith("${") and text.endswith("}"):
        stack, i, text = [["code", 0]], 0, text[2:-1]
    while i < len(text):
        c = text[i]
        state = stack[-1]
        if state[0] == "str":
            if c == "\\":
                i += 2
                continue
            if c in "$%" and text.startswith("{", i + 1):
                stack.append(["code", 0])
                out.append(" ")
                i += 2
                continue
            if c == '"':
                stack.pop()
                if not stack:
                    stack.append(["code", 0])
                out.append(" ")
            i += 1
            continue
        if c == '"':
            stack.append(["str", 0])
            out.append(" ")
        elif c == "{":
            state[1] += 1
            out.append(c)
        elif c == "}":
            if state[1] == 0 and len(stack) > 1:
                stack.pop()
                out.append(" ")
            else:
                state[1] -= 1
                out.append(c)
        else:
            out.append(c)
        i += 1
    yield "".join(out)


def references(text: str) -> tuple[list[list[str]], set[str]]:
    """Traversals in an expression (["var", "x"], ["azurerm_x", "y", "id"], ...) and the names
    it binds itself (for-expression iterators)."""
    found: list[list[str]] = []
    bound: set[str] = set()
    for code in code_spans(text):
        for m in re.finditer(r"\bfor\s+([A-Za-z_]\w*)\s*(?:,\s*([A-Za-z_]\w*))?\s+in\b", code):
            bound.update(g for g in m.groups() if g)
        i = 0
        while i < len(code):
            m = IDENT_RE.match(code, i)
            if not m or (i > 0 and (code[i - 1].isalnum() or code[i - 1] in "_.-:")):
                i += 1
                continue
            parts = [m.group(0)]
            j = m.end()
            while True:
                dot = re.match(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*|\*)", code[j:])
                index = re.match(r"\s*\[", code[j:])
                if dot:
                    parts.append(dot.group(1))
                    j += dot.end()
                elif index and len(parts) >= 1:
                    # skip a balanced [...] index
                    depth, k = 0, j + index.end() - 1
                    while k < len(code):
                        if code[k] == "[":
                            depth += 1
                        elif code[k] == "]":
                            depth -= 1
                            if depth == 0:
                                break
                        k += 1
                    j = k + 1
                else:
                    break
            rest = code[j:].lstrip()
            is_call = rest.startswith("(") or rest.startswith("::")
            is_key = bool(re.match(r"=(?!=)|:(?!:)", rest)) and len(parts) == 1
            if not is_call and not is_key and len(parts) > 1:
                found.append(parts)
            i = j if j > i else i + 1
    return found, bound


# ---------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------


class Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[Path, dict[str, Any]] = {}
        self.parse_errors: list[str] = []
        for f in sorted(path.glob("*.tf")):
            try:
                with f.open(encoding="utf-8") as fh:
                    self.files[f] = hcl2.load(fh)
            except Exception as e:  # noqa: BLE001 - any parser error is a finding
                self.parse_errors.append(f"{rel(f)}: {type(e).__name__}: {e}")
        self.variables: dict[str, dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.data: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.provider_names: set[str] = set()
        self.dynamic_labels: set[str] = set()
        self.duplicates: list[str] = []
        for doc in self.files.values():
            for block in doc.get("variable", []):
                for name, body in block.items():
                    self._add(self.variables, unquote(name), body, "variable")
            for block in doc.get("locals", []):
                for name, value in attributes(block).items():
                    self._add(self.locals, name, value, "local")
            for kind, target in (("resource", self.resources), ("data", self.data)):
                for block in doc.get(kind, []):
                    for rtype, named in block.items():
                        for rname, body in named.items():
                            self._add(target, f"{unquote(rtype)}.{unquote(rname)}", body, kind)
            for block in doc.get("module", []):
                for name, body in block.items():
                    self._add(self.modules, unquote(name), body, "module")
            for block in doc.get("output", []):
                for name, body in block.items():
                    self._add(self.outputs, unquote(name), body, "output")
            for block in doc.get("provider", []):
                for name, body in block.items():
                    alias = literal(body.get("alias", "null")) if "alias" in body else None
                    self.provider_names.add(f"{unquote(name)}.{alias}" if alias else unquote(name))
            for block in doc.get("terraform", []):
                for req in block.get("required_providers", []):
                    for pname, spec in attributes(req).items():
                        self.provider_names.add(pname)
                        for alias in re.findall(r"[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*", json.dumps(spec.get("configuration_aliases", ""))):
                            self.provider_names.add(alias)
            for node in iter_blocks(doc):
                for dyn in node.get("dynamic", []) if isinstance(node.get("dynamic"), list) else []:
                    self.dynamic_labels.update(unquote(k) for k in dyn)

    def _add(self, target: dict[str, Any], name: str, body: Any, kind: str) -> None:
        if name in target:
            self.duplicates.append(f"{kind} {name} is declared twice")
        target[name] = body


def iter_blocks(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from iter_blocks(v)
    elif isinstance(node, list):
        for v in node:
            yield from iter_blocks(v)


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def module_dirs(tf_dir: Path) -> list[Path]:
    dirs = {f.parent for f in tf_files(tf_dir)}
    return sorted(dirs)


def expression_sites(module: Module) -> Iterator[tuple[str, str, str | None]]:
    """(where, expression text, owning variable) for every value in the module that Terraform
    evaluates. Type constraints and provider references are left out (checked separately)."""
    for f, doc in module.files.items():
        for block_kind, blocks in doc.items():
            if block_kind.startswith("__"):
                continue  # comments
            for block in blocks if isinstance(blocks, list) else []:
                if block_kind == "variable":
                    for name, body in block.items():
                        for key, value in attributes(body).items():
                            if key == "type":
                                continue
                            for s in strings_in(value):
                                yield f"{rel(f)} variable {unquote(name)}", s, unquote(name)
                elif block_kind == "module":
                    for name, body in block.items():
                        for key, value in attributes(body).items():
                            if key == "providers":
                                continue
                            for s in strings_in(value):
                                yield f"{rel(f)} module {unquote(name)}", s, None
                elif block_kind == "terraform":
                    continue
                else:
                    for s in strings_in(strip_provider_refs(block)):
                        yield f"{rel(f)} {block_kind}", s, None


def strip_provider_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip_provider_refs(v) for k, v in node.items() if k != "provider"}
    if isinstance(node, list):
        return [strip_provider_refs(v) for v in node]
    return node


def provider_refs(module: Module) -> Iterator[tuple[str, str]]:
    for f, doc in module.files.items():
        for node in iter_blocks(doc):
            if "provider" in node and isinstance(node["provider"], str):
                yield rel(f), expr_text(node["provider"])
        for block in doc.get("module", []):
            for name, body in block.items():
                providers = body.get("providers")
                if isinstance(providers, dict):
                    for k, v in attributes(providers).items():
                        yield f"{rel(f)} module {unquote(name)}", expr_text(v)
                elif isinstance(providers, str):
                    for m in re.finditer(r"([\w.-]+)\s*=\s*([\w.-]+)", providers):
                        yield f"{rel(f)} module {unquote(name)}", m.group(2)


def check_module(module: Module, modules: dict[Path, Module], report: Report) -> None:
    print(f"{rel(module.path)}/ ({len(module.files)} files):")
    report.check("every .tf file parses (python-hcl2)", module.parse_errors)
    report.check("no name is declared twice", module.duplicates)
    problems: list[str] = []
    used_vars: set[str] = set()
    used_locals: set[str] = set()
    for where, text, owner in expression_sites(module):
        refs, bound = references(text)
        for parts in refs:
            root = parts[0]
            if root in bound or root in SPECIAL_ROOTS or root in KEYWORDS:
                continue
            if root in module.dynamic_labels and len(parts) >= 2 and parts[1] in ("key", "value"):
                continue
            if root == "var":
                if parts[1] not in module.variables:
                    problems.append(f"{where}: var.{parts[1]} is not declared")
                elif owner != parts[1]:
                    used_vars.add(parts[1])
            elif root == "local":
                if parts[1] not in module.locals:
                    problems.append(f"{where}: local.{parts[1]} is not declared")
                used_locals.add(parts[1])
            elif root == "module":
                called = module.modules.get(parts[1])
                if called is None:
                    problems.append(f"{where}: module.{parts[1]} is not declared")
                    continue
                source = literal(called.get("source", '""'))
                target = modules.get((module.path / source).resolve()) if source.startswith(".") else None
                if target is None:
                    problems.append(f"{where}: module.{parts[1]} has no local source to check ({source})")
                elif len(parts) < 3 or parts[2] not in target.outputs:
                    problems.append(f"{where}: module.{parts[1]} has no output {parts[2] if len(parts) > 2 else '(none named)'}")
            elif root == "data":
                if len(parts) < 3 or f"{parts[1]}.{parts[2]}" not in module.data:
                    problems.append(f"{where}: data.{'.'.join(parts[1:3])} is not declared")
            else:
                if f"{root}.{parts[1]}" not in module.resources:
                    problems.append(f"{where}: {root}.{parts[1]} is not a declared resource")
    # A local that refers only to itself would be unused too; locals never refer to themselves.
    for name, value in module.locals.items():
        for s in strings_in(value):
            for parts in references(s)[0]:
                if parts[:2] == ["local", name]:
                    problems.append(f"local.{name} refers to itself")
    report.check("every reference resolves to a declared variable, local, resource, data source or module output", problems)
    report.check(
        "every provider reference names a declared provider or configuration alias",
        [f"{where}: provider {ref} is not declared" for where, ref in provider_refs(module) if ref not in module.provider_names],
    )
    unused = [f"variable {v} is never used" for v in sorted(set(module.variables) - used_vars)]
    unused += [f"local {v} is never used" for v in sorted(set(module.locals) - used_locals)]
    report.check("no variable or local is unused", unused)
    missing = []
    for name, body in module.variables.items():
        for key in ("description", "type"):
            if key not in body:
                missing.append(f"variable {name} has no {key}")
    for name, body in module.outputs.items():
        if "description" not in body:
            missing.append(f"output {name} has no description")
    report.check("every variable has a description and a type, every output a description", missing)


def tf_files(tf_dir: Path, pattern: str = "*.tf") -> list[Path]:
    """Files under tf_dir, leaving out what `terraform init` downloads into .terraform/."""
    return sorted(f for f in tf_dir.rglob(pattern) if ".terraform" not in f.relative_to(tf_dir).parts)


def skip_problems(tf_dir: Path) -> list[str]:
    problems = []
    for f in tf_files(tf_dir):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if "checkov:skip" not in line:
                continue
            m = SKIP_RE.search(line)
            if not line.lstrip().startswith("#checkov:skip=") or not m:
                problems.append(f"{rel(f)}:{n}: write skips as '#checkov:skip=CKV_X_1: reason' on their own line")
            elif not SKIP_OK_RE.match(m.group(1)) or not (m.group(2) or "").strip():
                problems.append(f"{rel(f)}:{n}: skip without an id and a reason: {line.strip()}")
    return problems


def outside_references(tf_dir: Path) -> list[str]:
    problems = []
    for f in tf_files(tf_dir, "*"):
        if f.is_file() and f.suffix in (".tf", ".md", ".tfvars", ".example") and "/shared/" in f.read_text(encoding="utf-8", errors="replace"):
            problems.append(f"{rel(f)} names a path under shared/: the repository must stand on its own")
    return problems


# ---------------------------------------------------------------------------------------------
# The root module against arm/azuredeploy.json
# ---------------------------------------------------------------------------------------------


def snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def tf_default(body: dict[str, Any]) -> tuple[bool, Any]:
    if "default" not in body:
        return False, None
    try:
        return True, literal(body["default"])
    except ValueError:
        return True, ValueError


def validations(body: dict[str, Any]) -> list[str]:
    return [expr_text(v.get("condition", "")) for v in body.get("validation", [])]


def check_variables_against_arm(module: Module, template: dict[str, Any], report: Report) -> None:
    params = template.get("parameters") or {}
    expected = {snake(p): p for p in params}
    problems = []
    for tf_name in sorted(set(module.variables) - set(expected)):
        if tf_name not in TF_ONLY_VARIABLES:
            problems.append(f"variable {tf_name} has no parameter in arm/azuredeploy.json (and no reason to be Terraform-only)")
    for tf_name, arm_name in sorted(expected.items()):
        if tf_name not in module.variables:
            problems.append(f"parameter {arm_name} has no variable {tf_name}")
    report.check("one variable per template parameter, named in snake_case", problems)

    problems = []
    for tf_name, arm_name in sorted(expected.items()):
        body = module.variables.get(tf_name)
        if body is None:
            continue
        spec = params[arm_name]
        conds = validations(body)
        has_default, default = tf_default(body)
        arm_default = spec.get("defaultValue", ValueError)
        if arm.is_expression(arm_default):
            if not (has_default and default is None):
                problems.append(f"{tf_name}: the template computes its default ({arm_default}); the variable must default to null and the module compute it")
        elif arm_default is ValueError:
            if has_default:
                problems.append(f"{tf_name}: the template requires {arm_name}; the variable has a default")
        elif not has_default or default != arm_default:
            problems.append(f"{tf_name}: default {default!r} differs from the template's {arm_default!r}")
        allowed = spec.get("allowedValues")
        if allowed is not None:
            want = json.dumps(allowed, separators=(", ", ": "))
            if not any(f"contains({want}, var.{tf_name})" in c for c in conds):
                problems.append(f"{tf_name}: no validation 'contains({want}, var.{tf_name})' for the template's allowedValues")
        for key, op in (("minValue", ">="), ("maxValue", "<="), ("minLength", ">="), ("maxLength", "<=")):
            if key in spec:
                subject = f"var.{tf_name}" if key.endswith("Value") else f"length(var.{tf_name})"
                if not any(f"{subject} {op} {spec[key]}" in c for c in conds):
                    problems.append(f"{tf_name}: no validation '{subject} {op} {spec[key]}' for the template's {key}")
        secure = str(spec.get("type", "")).lower().startswith("secure")
        if secure and literal(body.get("sensitive", False)) is not True:
            problems.append(f"{tf_name}: {arm_name} is a {spec['type']}: the variable must be sensitive")
        arm_type = str(spec.get("type", "")).lower()
        tf_type = expr_text(body.get("type", ""))
        want_type = {"string": "string", "securestring": "string", "int": "number", "bool": "bool", "object": "map(string)", "array": "list(string)"}.get(arm_type)
        if want_type and tf_type != want_type:
            problems.append(f"{tf_name}: type {tf_type} for a template {arm_type} (want {want_type})")
    report.check("defaults, allowed values, ranges, lengths, types and sensitivity match the template's parameters", problems)

    outputs = set(template.get("outputs") or {})
    problems = []
    for name in sorted(outputs):
        if name in OUTPUTS_WITHOUT_COUNTERPART:
            continue
        tf_name = OUTPUT_RENAMES.get(name, snake(name))
        if tf_name not in module.outputs:
            problems.append(f"template output {name} has no output {tf_name}")
    for name in sorted(PROMISED_OUTPUTS - set(module.outputs)):
        problems.append(f"output {name} is missing")
    report.check("the template's outputs and the promised ones exist", problems)


def resource(module: Module, address: str) -> dict[str, Any]:
    body = module.resources.get(address)
    if body is None:
        raise KeyError(address)
    return body


def first(block_list: Any) -> dict[str, Any]:
    return block_list[0] if isinstance(block_list, list) and block_list else {}


def expect(problems: list[str], where: str, value: Any, want: Any) -> None:
    try:
        got = literal(value) if not isinstance(want, str) or not want.startswith("${") else value
    except ValueError:
        got = value
    if got != want:
        problems.append(f"{where} is {got!r}, want {want!r}")


def app_setting_maps(module: Module) -> dict[str, dict[str, str]]:
    maps = {}
    for name, value in module.locals.items():
        if name.endswith("_app_settings") and isinstance(value, dict):
            maps[name] = {unquote(k): expr_text(v) for k, v in attributes(value).items()}
    return maps


def check_platform_rules(module: Module, template: dict[str, Any], report: Report) -> None:
    problems: list[str] = []
    try:
        flex = resource(module, "azapi_resource.flex_app")
        premium = resource(module, "azurerm_linux_function_app.premium")
    except KeyError as e:
        report.check("the function app resources exist", [f"{e} is not declared"])
        return
    # Flex Consumption: the site properties and siteConfig it accepts, nothing else.
    body = flex.get("body", {})
    props = body.get("properties", {}) if isinstance(body, dict) else {}
    if not isinstance(props, dict):
        problems.append("azapi_resource.flex_app: body.properties must be an object literal so it can be checked")
        props = {}
    expect(problems, "azapi_resource.flex_app type", flex.get("type"), "Microsoft.Web/sites@2024-04-01")
    expect(problems, "azapi_resource.flex_app body.kind", body.get("kind"), "functionapp,linux")
    expect(problems, "azapi_resource.flex_app ignore_null_property (no property is sent as null)", flex.get("ignore_null_property"), True)
    for key in props:
        if key.lower() not in arm.FLEX_SITE_PROPERTIES_ALLOWED:
            problems.append(f"azapi_resource.flex_app sends site property {key}, which is not known to be accepted on Flex Consumption")
    site_config = props.get("siteConfig", {})
    for key in site_config if isinstance(site_config, dict) else []:
        if key.lower() not in arm.FLEX_SITECONFIG_ALLOWED:
            problems.append(f"azapi_resource.flex_app sends siteConfig.{key}; Flex Consumption takes only {sorted(arm.FLEX_SITECONFIG_ALLOWED)}")
    expect(problems, "flex httpsOnly", props.get("httpsOnly"), True)
    expect(problems, "flex siteConfig.minTlsVersion", site_config.get("minTlsVersion"), "1.2")
    expect(problems, "flex siteConfig.scmMinTlsVersion", site_config.get("scmMinTlsVersion"), "1.2")
    fac = props.get("functionAppConfig", {})
    expect(problems, "flex functionAppConfig.runtime", fac.get("runtime"), {"name": "custom", "version": "1.0"})
    storage = fac.get("deployment", {}).get("storage", {})
    expect(problems, "flex deployment storage type", storage.get("type"), "blobContainer")
    expect(problems, "flex deployment storage authentication", storage.get("authentication"), {"type": "SystemAssignedIdentity"})
    if "${local.deployment_container_name}" not in str(storage.get("value")):
        problems.append("flex deployment storage must be the module's own deployment container")
    expect(problems, "flex identity", first(flex.get("identity")).get("type"), "SystemAssigned")
    settings_resource = module.resources.get("azapi_resource.flex_app_settings", {})
    expect(problems, "azapi_resource.flex_app_settings type", settings_resource.get("type"), "Microsoft.Web/sites/config@2024-04-01")
    expect(problems, "azapi_resource.flex_app_settings name", settings_resource.get("name"), "appsettings")
    if expr_text((settings_resource.get("body") or {}).get("properties", "")) != "local.app_settings":
        problems.append("azapi_resource.flex_app_settings must send exactly local.app_settings")
    scm = module.resources.get("azapi_resource_action.flex_scm_basic_auth", {})
    expect(problems, "flex scm policy method", scm.get("method"), "PUT")
    if not unquote(expr_text(scm.get("resource_id", ""))).endswith("/basicPublishingCredentialsPolicies/scm"):
        problems.append("azapi_resource_action.flex_scm_basic_auth must target the site's basicPublishingCredentialsPolicies/scm")
    expect(problems, "flex scm basic-auth publishing", (scm.get("body") or {}).get("properties"), {"allow": False})
    if "location" not in (scm.get("body") or {}):
        problems.append("the scm publishing policy needs a location (the resource provider requires it)")
    report.check("[flex-site] Flex Consumption is sent only what it accepts: functionAppConfig with the custom runtime and identity deployment storage, httpsOnly, TLS 1.2 floors; settings in one appsettings resource; scm basic auth off", problems)

    # Premium: the template's siteConfig and site properties, settings routed to azurerm.
    problems = []
    sc = first(premium.get("site_config"))
    for key, want in (
        ("https_only", True),
        ("ftp_publish_basic_authentication_enabled", False),
        ("webdeploy_publish_basic_authentication_enabled", False),
        ("storage_uses_managed_identity", True),
        ("content_share_force_disabled", True),
        ("builtin_logging_enabled", False),
    ):
        expect(problems, f"azurerm_linux_function_app.premium {key}", premium.get(key), want)
    for key, want in (
        ("minimum_tls_version", "1.2"),
        ("scm_minimum_tls_version", "1.2"),
        ("ftps_state", "Disabled"),
        ("http2_enabled", True),
        ("remote_debugging_enabled", False),
    ):
        expect(problems, f"premium site_config.{key}", sc.get(key), want)
    expect(problems, "premium application_stack.use_custom_runtime", first(sc.get("application_stack")).get("use_custom_runtime"), True)
    expect(problems, "premium identity", first(premium.get("identity")).get("type"), "SystemAssigned")
    routed = literal(module.locals.get("azurerm_argument_settings", "[]"))
    if sorted(routed) != ["APPLICATIONINSIGHTS_CONNECTION_STRING", "FUNCTIONS_EXTENSION_VERSION"]:
        problems.append(f"local.azurerm_argument_settings is {routed}: azurerm owns exactly FUNCTIONS_EXTENSION_VERSION and APPLICATIONINSIGHTS_CONNECTION_STRING")
    if expr_text(premium.get("functions_extension_version", "")) != 'local.app_settings["FUNCTIONS_EXTENSION_VERSION"]':
        problems.append("premium functions_extension_version must come from local.app_settings")
    if expr_text(sc.get("application_insights_connection_string", "")) != 'local.app_settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]':
        problems.append("premium site_config.application_insights_connection_string must come from local.app_settings")
    app_settings_expr = expr_text(premium.get("app_settings", ""))
    if not re.fullmatch(r"\{for (\w+), (\w+) in local\.app_settings : \1 => \2 if !contains\(local\.azurerm_argument_settings, \1\)\}", app_settings_expr):
        problems.append(f"premium app_settings must be local.app_settings without local.azurerm_argument_settings, not {app_settings_expr}")
    report.check("[premium-site] Premium gets the template's site configuration (HTTPS only, TLS 1.2, FTPS and remote debugging off, HTTP/2, basic auth off, no content share) and every setting of local.app_settings", problems)

    # App settings: Flex-forbidden ones only in the Premium map; runtime selection on Premium;
    # __credential beside every identity-based connection.
    problems = []
    maps = app_setting_maps(module)
    merged = expr_text(module.locals.get("app_settings", ""))
    if "local.is_flex ? {} : local.premium_app_settings" not in merged:
        problems.append("local.app_settings must add premium_app_settings only off Flex: local.is_flex ? {} : local.premium_app_settings")
    for map_name, settings in maps.items():
        for name, value in settings.items():
            forbidden = name in arm.FLEX_FORBIDDEN_SETTINGS or name.startswith(arm.FLEX_FORBIDDEN_SETTING_PREFIXES)
            if forbidden and map_name != "premium_app_settings":
                problems.append(f"{name} (in local.{map_name}) would reach Flex Consumption, which does not take it")
            low = name.lower()
            if any(low.endswith(s) for s in arm.IDENTITY_CONNECTION_SUFFIXES):
                prefix = name.split("__")[0]
                if settings.get(f"{prefix}__credential") != '"managedidentity"':
                    problems.append(f"{name} (local.{map_name}) without {prefix}__credential = \"managedidentity\" in the same map")
    premium_map = maps.get("premium_app_settings", {})
    if premium_map.get("FUNCTIONS_WORKER_RUNTIME") != '"custom"' or premium_map.get("FUNCTIONS_EXTENSION_VERSION") != '"~4"':
        problems.append("premium_app_settings must select FUNCTIONS_WORKER_RUNTIME custom and FUNCTIONS_EXTENSION_VERSION ~4")
    if premium_map.get("WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID") != '"SystemAssigned"':
        problems.append("premium_app_settings must read the package with the app's identity (WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = SystemAssigned)")
    for map_name, settings in maps.items():
        for name in settings:
            if name.startswith("WEBSITE_CONTENT"):
                problems.append(f"{name} needs an account key; shared keys are disabled")
    report.check("[settings] no Flex-forbidden setting on Flex, Premium selects the custom runtime and reads its package with the identity, __credential beside every identity-based connection", problems)

    # Role assignments: the template's built-in roles, to the app's identity.
    problems = []
    roles_tf = literal(module.locals.get("roles", "{}"))
    roles_arm = (template.get("variables") or {}).get("roles")
    if roles_tf != roles_arm:
        problems.append(f"local.roles {roles_tf} differs from the template's roles {roles_arm}")
    problems += [p.replace("roles.", "local.roles.") for p in arm.role_name_problems({"variables": {"roles": roles_tf}})]
    assignments = {a: b for a, b in module.resources.items() if a.startswith("azurerm_role_assignment.")}
    used_roles = set()
    for address, body in assignments.items():
        rd = unquote(expr_text(body.get("role_definition_id", "")))
        m = re.search(r"/roleDefinitions/\$\{local\.roles\.(\w+)\}$", rd)
        if not m or m.group(1) not in roles_tf:
            problems.append(f"{address}: role_definition_id must end in /roleDefinitions/${{local.roles.<name>}}, not {rd}")
        else:
            used_roles.add(m.group(1))
        if not rd.startswith("/subscriptions/"):
            problems.append(f"{address}: role_definition_id must be a subscription-scoped role definition id")
        expect(problems, f"{address} principal_type", body.get("principal_type"), "ServicePrincipal")
        if expr_text(body.get("principal_id", "")) != "local.function_app_principal_id":
            problems.append(f"{address}: principal_id must be the app's identity (local.function_app_principal_id)")
        if "description" not in body:
            problems.append(f"{address}: no description")
    for name in sorted(set(roles_tf) - used_roles):
        problems.append(f"local.roles.{name} is assigned nowhere")
    report.check("[roles] the template's built-in role ids, each assigned to the app's identity with a description", problems)

    # Hardening the template sets on the other resources.
    problems = []
    checks = {
        "azurerm_storage_account.this": {
            "shared_access_key_enabled": False, "allow_nested_items_to_be_public": False,
            "min_tls_version": "TLS1_2", "https_traffic_only_enabled": True,
            "infrastructure_encryption_enabled": True, "cross_tenant_replication_enabled": False,
            "default_to_oauth_authentication": True,
        },
        "azurerm_key_vault.this": {
            "rbac_authorization_enabled": True, "purge_protection_enabled": True,
            "soft_delete_retention_days": 90, "enabled_for_deployment": False,
            "enabled_for_disk_encryption": False, "enabled_for_template_deployment": False,
        },
        "azurerm_application_insights.this": {"local_authentication_disabled": True},
        "azurerm_eventhub_namespace.this": {"minimum_tls_version": "1.2", "sku": "Standard"},
    }
    for address, wants in checks.items():
        body = module.resources.get(address)
        if body is None:
            problems.append(f"{address} is not declared")
            continue
        for key, want in wants.items():
            expect(problems, f"{address} {key}", body.get(key), want)
    blob = first(module.resources.get("azurerm_storage_account.this", {}).get("blob_properties"))
    for key in ("delete_retention_policy", "container_delete_retention_policy"):
        expect(problems, f"blob {key}.days", first(blob.get(key)).get("days"), 7)
    containers = {literal(b.get("name", '""')) if not str(b.get("name", "")).startswith("${") else expr_text(b["name"]) for a, b in module.resources.items() if a.startswith("azurerm_storage_container.")}
    arm_vars = template.get("variables") or {}
    for var_name in ("deploymentContainerName", "deadLetterContainerName"):
        local_name = snake(var_name)
        if literal(module.locals.get(local_name, '""')) != arm_vars.get(var_name):
            problems.append(f"local.{local_name} differs from the template's {var_name} ({arm_vars.get(var_name)!r})")
        if f"local.{local_name}" not in containers:
            problems.append(f"no azurerm_storage_container is named local.{local_name}")
    function = json.loads((ROOT / "EventHubTrigger" / "function.json").read_text(encoding="utf-8"))
    dead_letter = next((b for b in function["bindings"] if b.get("name") == "deadletter"), {})
    if str(dead_letter.get("path", "")).split("/")[0] != arm_vars.get("deadLetterContainerName"):
        problems.append("EventHubTrigger/function.json's deadletter container is not the one the module creates")
    report.check("[hardening] storage (shared keys off, TLS 1.2, HTTPS, double encryption, soft delete), Key Vault (RBAC, purge protection), Application Insights (Entra only), Event Hubs (TLS 1.2), the template's containers", problems)

    # Secrets: only through write-only arguments; the key variable is sensitive.
    problems = []
    for address in ("azapi_resource_action.coralogix_private_key", "azapi_resource_action.event_hub_connection_string"):
        body = module.resources.get(address)
        if body is None:
            problems.append(f"{address} is not declared")
            continue
        expect(problems, f"{address} type", body.get("type"), "Microsoft.KeyVault/vaults/secrets@2023-07-01")
        expect(problems, f"{address} method", body.get("method"), "PUT")
        if "value" in json.dumps(body.get("body", {})):
            problems.append(f"{address}: the secret's value must go only in sensitive_body (write-only), never in body")
        if "value" not in (body.get("sensitive_body") or {}).get("properties", {}):
            problems.append(f"{address}: sensitive_body.properties.value is missing")
        if '"properties.value"' not in (body.get("sensitive_body_version") or {}):
            problems.append(f"{address}: sensitive_body_version must name properties.value, or a changed value is never sent")
    key_var = module.variables.get("coralogix_private_key", {})
    if literal(key_var.get("sensitive", False)) is not True:
        problems.append("variable coralogix_private_key must be sensitive")
    for address, body in module.resources.items():
        if address.startswith("azurerm_key_vault_secret."):
            problems.append(f"{address}: azurerm_key_vault_secret keeps its value in state; write secrets with azapi_resource_action and sensitive_body")
    report.check("[secrets] Key Vault secrets written only through write-only sensitive_body, the key variable sensitive", problems)


def skip_sites(tf_dir: Path) -> list[tuple[str, str, str, str]]:
    """(file relative to tf_dir, check id, enclosing block "type.name", where) per skip comment."""
    sites = []
    for f in tf_files(tf_dir):
        block = ""
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            m = re.match(r'\s*(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?', line)
            if m:
                block = ".".join(x for x in m.groups()[1:] if x)
            skip = SKIP_RE.search(line)
            if skip and line.lstrip().startswith("#checkov:skip="):
                sites.append(("/" + str(f.relative_to(tf_dir)), skip.group(1), block, f"{rel(f)}:{n}"))
    return sites


def checkov_json(exe: str, directory: Path) -> dict[str, Any]:
    cmd = [exe, "-d", str(directory), "--framework", "terraform", "--quiet", "-o", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, LOG_LEVEL="ERROR"))
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": (proc.stderr or proc.stdout).strip()[-2000:]}
    return doc[0] if isinstance(doc, list) else doc


def run_checkov(tf_dir: Path, report: Report) -> None:
    exe = shutil.which("checkov")
    print("checkov:")
    if exe is None:
        print("  checkov is not on PATH ('pip install checkov', or run with --no-checkov).")
        report.check("checkov available", ["not installed"])
        return
    cmd = [exe, "-d", str(tf_dir), "--framework", "terraform", "--quiet", "--compact"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, LOG_LEVEL="ERROR"))
    summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", proc.stdout)
    if summary:
        print(f"  {summary.group(0)}")
    problems = []
    if proc.returncode != 0:
        problems = [line for line in proc.stdout.splitlines() if line.strip()] or [proc.stderr.strip() or f"exit status {proc.returncode}"]
    report.check(" ".join(["checkov", *cmd[1:]]), problems)

    # Every skip must suppress a check that fails without it: run checkov once more on a copy
    # without the skip comments and match (file, check, resource).
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "terraform"
        shutil.copytree(tf_dir, copy, ignore=shutil.ignore_patterns(".terraform"))
        for f in copy.rglob("*.tf"):
            lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
            # Blank the skip lines rather than removing them, so line numbers stay the same.
            f.write_text("".join("\n" if "checkov:skip=" in line else line for line in lines), encoding="utf-8")
        doc = checkov_json(exe, copy)
    if "error" in doc:
        report.check("every checkov skip suppresses a check that fails without it", [f"checkov without skips: {doc['error']}"])
        return
    failed = {
        (c["file_path"], c["check_id"], ".".join(c["resource"].split(".")[-2:]).split("[")[0])
        for c in (doc.get("results") or {}).get("failed_checks", [])
    }
    problems = [
        f"{where}: {check} on {block or '(no resource)'} does not fail without the skip; remove the skip"
        for file, check, block, where in skip_sites(tf_dir)
        if (file, check, block) not in failed
    ]
    report.check("every checkov skip suppresses a check that fails without it", problems)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--no-checkov", action="store_true", help="only the static checks")
    ap.add_argument("--terraform-dir", type=Path, default=ROOT / "terraform", help="default: <repo>/terraform")
    args = ap.parse_args()
    tf_dir: Path = args.terraform_dir.resolve()
    dirs = module_dirs(tf_dir)
    if not dirs:
        print(f"no .tf files under {tf_dir}")
        return 1
    report = Report()
    print(f"python-hcl2 {getattr(hcl2, '__version__', 'unknown')}")
    modules = {d.resolve(): Module(d) for d in dirs}
    for module in modules.values():
        check_module(module, modules, report)
    print(f"{rel(tf_dir)}/:")
    report.check("checkov skips carry an id and a reason (#checkov:skip=CKV_X_1: reason)", skip_problems(tf_dir))
    report.check("no file names a path outside the repository", outside_references(tf_dir))
    root = modules.get(tf_dir)
    template_path = ROOT / "arm" / "azuredeploy.json"
    if root is not None and template_path.exists():
        print(f"{rel(tf_dir)}/ against {rel(template_path)}:")
        template = json.loads(template_path.read_text(encoding="utf-8"))
        check_variables_against_arm(root, template, report)
        check_platform_rules(root, template, report)
    if args.no_checkov:
        print("checkov: skipped (--no-checkov)")
    else:
        run_checkov(tf_dir, report)
    print(f"terraform: {report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
