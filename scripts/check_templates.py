#!/usr/bin/env python3
"""Static checks for the ARM templates in arm/, then checkov.

For every arm/*.json template (not *.parameters.json):
  - it is valid JSON with a deployment-template $schema, and every "[...]" expression has
    balanced parentheses and quotes;
  - every parameters('x') and variables('x') resolves, in the right scope (a nested
    deployment with expressionEvaluationOptions.scope "inner" is its own scope);
  - no parameter or variable is unused;
  - each nested inner-scope deployment passes exactly the parameters its template declares,
    and every one it requires;
  - every resource type named in a dependsOn entry or an output (through resourceId(),
    extensionResourceId(), reference(), listKeys() ...) is a type the template declares,
    so a typo in a type or a reference to a resource that was removed is caught.
For every arm/X.parameters.json: X.json exists, every parameter given exists in it, every
required parameter (no defaultValue) is given, and values respect allowedValues and type.

Then `checkov -d arm --framework arm --quiet --compact`; any failed check fails this script.
Skips must be justified in the resource's metadata, in the form checkov reads for ARM:
    "metadata": {"checkov": ["checkov:skip=CKV_AZURE_35: why"]}
(The object form {"skip": [{"id": ..., "comment": ...}]} is NOT honoured by checkov 3.x for
ARM; this script rejects it.) A skip without a reason fails this script too.

Usage: python3 scripts/check_templates.py [--no-checkov] [--arm-dir DIR]
Exit status 0 when everything passes. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
PARAM_RE = re.compile(r"\bparameters\(\s*'((?:[^']|'')*)'\s*\)")
VAR_RE = re.compile(r"\bvariables\(\s*'((?:[^']|'')*)'\s*\)")
TYPE_RE = re.compile(r"'((?:Microsoft|microsoft)\.[A-Za-z]+(?:/[A-Za-z]+)+)'")
SKIP_RE = re.compile(r"^checkov:skip=(CKV2?_[A-Z]+_\d+):\s*(\S.*)$")
TEMPLATE_SCHEMAS = (
    "deploymentTemplate.json",
    "subscriptionDeploymentTemplate.json",
    "managementGroupDeploymentTemplate.json",
    "tenantDeploymentTemplate.json",
)
ARM_TYPES = {
    "string": str,
    "securestring": str,
    "int": int,
    "bool": bool,
    "object": dict,
    "secureobject": dict,
    "array": list,
}


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str, problems: list[str]) -> None:
        if ok and not problems:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  {what}")
            for p in problems:
                print(f"          - {p}")


def strings(node: Any, skip_inner: bool = True) -> Iterator[str]:
    """Every string (keys included) under node, not descending into inner-scope templates."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings(item, skip_inner)
    elif isinstance(node, dict):
        inner = skip_inner and is_inner_deployment(node)
        for key, value in node.items():
            yield key
            if inner and key == "properties" and isinstance(value, dict):
                # Only the nested template body is another scope; the parameters passed to
                # it are evaluated in this one.
                for k, v in value.items():
                    if k != "template":
                        yield k
                        yield from strings(v, skip_inner)
                continue
            yield from strings(value, skip_inner)


def is_inner_deployment(node: dict[str, Any]) -> bool:
    if str(node.get("type", "")).lower() != "microsoft.resources/deployments":
        return False
    props = node.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("template"), dict):
        return False
    opts = props.get("expressionEvaluationOptions") or {}
    return str(opts.get("scope", "")).lower() == "inner"


def inner_deployments(node: Any) -> Iterator[dict[str, Any]]:
    """Inner-scope nested deployments directly in this scope (not those nested deeper)."""
    if isinstance(node, list):
        for item in node:
            yield from inner_deployments(item)
    elif isinstance(node, dict):
        if is_inner_deployment(node):
            yield node
            return
        for value in node.values():
            yield from inner_deployments(value)


def expressions(node: Any) -> Iterator[str]:
    for s in strings(node, skip_inner=False):
        if s.startswith("[") and not s.startswith("[[") and s.endswith("]"):
            yield s


def expression_problems(expr: str) -> list[str]:
    depth = 0
    in_quote = False
    i = 1
    body = expr[1:-1]
    while i <= len(body):
        c = body[i - 1]
        if in_quote:
            if c == "'":
                if i < len(body) and body[i] == "'":
                    i += 1  # escaped quote
                else:
                    in_quote = False
        elif c == "'":
            in_quote = True
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            if depth < 0:
                return [f"unbalanced brackets in {expr[:120]}"]
        i += 1
    if in_quote:
        return [f"unterminated quote in {expr[:120]}"]
    if depth != 0:
        return [f"unbalanced brackets in {expr[:120]}"]
    return []


def declared_types(resources: Any) -> set[str]:
    """Resource types declared in this scope, including child resources."""
    types: set[str] = set()

    def walk(items: Any, parent: str | None) -> None:
        if isinstance(items, dict):  # languageVersion 2.0 symbolic resources
            items = list(items.values())
        for r in items or []:
            if not isinstance(r, dict) or "type" not in r:
                continue
            t = str(r["type"])
            # A child resource declared inside its parent may give only its last segment.
            full = t if parent is None or "." in t.split("/")[0] else f"{parent}/{t}"
            types.add(full.lower())
            walk(r.get("resources"), full)

    walk(resources, None)
    return types


def check_scope(template: dict[str, Any], where: str) -> list[str]:
    """Checks one template scope; recurses into inner-scope nested templates."""
    problems: list[str] = []
    params = template.get("parameters") or {}
    variables = template.get("variables") or {}
    if not isinstance(params, dict) or not isinstance(variables, dict):
        return [f"{where}: parameters and variables must be objects"]

    used_params: set[str] = set()
    used_vars: set[str] = set()
    for s in strings(template):
        used_params.update(m.replace("''", "'") for m in PARAM_RE.findall(s))
        used_vars.update(m.replace("''", "'") for m in VAR_RE.findall(s))
    # A variable referring to itself does not make it used.
    for name, value in variables.items():
        self_refs = {m for s in strings(value) for m in VAR_RE.findall(s)}
        if name in self_refs:
            problems.append(f"{where}: variable '{name}' refers to itself")

    for name in sorted(used_params - set(params)):
        problems.append(f"{where}: parameters('{name}') is not declared")
    for name in sorted(used_vars - set(variables)):
        problems.append(f"{where}: variables('{name}') is not declared")
    for name in sorted(set(params) - used_params):
        problems.append(f"{where}: parameter '{name}' is never used")
    for name in sorted(set(variables) - used_vars):
        problems.append(f"{where}: variable '{name}' is never used")

    types = declared_types(template.get("resources"))
    var_text = {k: json.dumps(v) for k, v in variables.items()}

    def expand(text: str) -> str:
        for _ in range(5):
            new = VAR_RE.sub(lambda m: var_text.get(m.group(1), m.group(0)), text)
            if new == text:
                break
            text = new
        return text

    def check_types(text: str, context: str) -> None:
        for t in TYPE_RE.findall(expand(text)):
            if t.lower() not in types:
                problems.append(
                    f"{where}: {context} names type {t}, which this template does not declare"
                )

    for r in iter_resources(template.get("resources")):
        for dep in r.get("dependsOn") or []:
            if isinstance(dep, str):
                check_types(dep, f"dependsOn of {r.get('type')}")
    for name, out in (template.get("outputs") or {}).items():
        for s in strings(out):
            check_types(s, f"output '{name}'")

    for dep in inner_deployments(template.get("resources")):
        props = dep["properties"]
        inner = props["template"]
        label = f"{where} > deployment {dep.get('name')}"
        given = set((props.get("parameters") or {}).keys())
        declared = inner.get("parameters") or {}
        for name in sorted(given - set(declared)):
            problems.append(f"{label}: passes parameter '{name}' that its template does not declare")
        for name, spec in declared.items():
            if name not in given and "defaultValue" not in spec:
                problems.append(f"{label}: required parameter '{name}' is not passed")
        problems.extend(check_scope(inner, label))
    return problems


def iter_resources(resources: Any) -> Iterator[dict[str, Any]]:
    if isinstance(resources, dict):
        resources = list(resources.values())
    for r in resources or []:
        if isinstance(r, dict):
            yield r
            yield from iter_resources(r.get("resources"))


def skip_problems(template: dict[str, Any]) -> list[str]:
    problems = []
    for r in iter_resources(template.get("resources")):
        meta = r.get("metadata")
        if not isinstance(meta, dict) or "checkov" not in meta:
            continue
        entries = meta["checkov"]
        if not isinstance(entries, list):
            problems.append(
                f"{r.get('type')}: metadata.checkov must be a list of 'checkov:skip=ID: reason' "
                "strings (checkov ignores other forms for ARM)"
            )
            continue
        for e in entries:
            if not isinstance(e, str) or not SKIP_RE.match(e):
                problems.append(f"{r.get('type')}: skip without an id and a reason: {e!r}")
        if is_inner_deployment(r):
            problems.extend(skip_problems(r["properties"]["template"]))
    return problems


def check_template(path: Path, report: Report) -> dict[str, Any] | None:
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:")
    try:
        template = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        report.check(False, "valid JSON", [str(e)])
        return None
    report.check(True, "valid JSON", [])
    schema = str(template.get("$schema", ""))
    report.check(
        any(schema.endswith(s + "#") or schema.endswith(s) for s in TEMPLATE_SCHEMAS),
        "deployment template $schema",
        [] if template.get("resources") is not None else ["no resources"],
    )
    expr_problems = [p for e in expressions(template) for p in expression_problems(e)]
    report.check(True, "expressions are balanced", expr_problems)
    report.check(True, "parameters, variables, nested deployments, dependsOn and outputs resolve",
                 check_scope(template, "template"))
    report.check(True, "checkov skips carry an id and a reason", skip_problems(template))
    return template


def type_ok(value: Any, arm_type: str) -> bool:
    expected = ARM_TYPES.get(arm_type.lower())
    if expected is None:
        return True
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def check_parameters(path: Path, templates: dict[Path, dict[str, Any] | None], report: Report) -> None:
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:")
    template_path = path.with_name(path.name.replace(".parameters.json", ".json"))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        report.check(False, "valid JSON", [str(e)])
        return
    report.check(True, "valid JSON", [])
    if template_path not in templates:
        report.check(False, f"matches a template ({template_path.name})", ["template not found"])
        return
    template = templates[template_path]
    if template is None:
        report.check(False, f"matches {template_path.name}", ["the template itself is invalid"])
        return
    declared = template.get("parameters") or {}
    given = doc.get("parameters") or {}
    problems = []
    for name in sorted(set(given) - set(declared)):
        problems.append(f"'{name}' is not a parameter of {template_path.name}")
    for name, spec in declared.items():
        if "defaultValue" not in spec and name not in given:
            problems.append(f"required parameter '{name}' is missing")
    for name, entry in given.items():
        spec = declared.get(name)
        if spec is None or not isinstance(entry, dict):
            continue
        if "reference" in entry:  # a Key Vault reference: the value is resolved at deploy time
            continue
        if "value" not in entry:
            problems.append(f"'{name}' has neither value nor reference")
            continue
        value = entry["value"]
        if not type_ok(value, str(spec.get("type", ""))):
            problems.append(f"'{name}' is not of type {spec.get('type')}")
        allowed = spec.get("allowedValues")
        if allowed is not None and value not in allowed:
            problems.append(f"'{name}' = {value!r} is not one of {allowed}")
        if str(spec.get("type", "")).lower() in ("securestring", "secureobject") and value not in ("", {}, None):
            problems.append(f"'{name}' is secure: pass it at deploy time, never in a file")
    report.check(True, f"parameters match {template_path.name}", problems)


def run_checkov(arm_dir: Path, report: Report) -> None:
    exe = shutil.which("checkov")
    print("checkov:")
    if exe is None:
        print(
            "  checkov is not installed or not on PATH. Install it with 'pip install checkov' "
            "(or run this script with --no-checkov to do only the static checks)."
        )
        report.check(False, "checkov available", [])
        return
    cmd = [exe, "-d", str(arm_dir), "--framework", "arm", "--quiet", "--compact"]
    env = dict(os.environ, LOG_LEVEL="ERROR")  # checkov's own logger; keeps its graph warnings out
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    summary = re.search(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", proc.stdout
    )
    if summary:
        print(f"  {summary.group(0)}")
    failed_lines = [line for line in proc.stdout.splitlines() if line.strip()] if proc.returncode else []
    if proc.returncode != 0:
        for line in failed_lines:
            print(f"    {line}")
        if proc.stderr.strip():
            print("    " + proc.stderr.strip().replace("\n", "\n    "))
    report.check(proc.returncode == 0, " ".join(["checkov", *cmd[1:]]), [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--no-checkov", action="store_true", help="only the static checks")
    ap.add_argument("--arm-dir", type=Path, default=ROOT / "arm", help="default: <repo>/arm")
    args = ap.parse_args()

    arm_dir: Path = args.arm_dir.resolve()
    files = sorted(arm_dir.glob("*.json"))
    if not files:
        print(f"no templates in {arm_dir}")
        return 1
    report = Report()
    templates: dict[Path, dict[str, Any] | None] = {}
    for path in files:
        if not path.name.endswith(".parameters.json"):
            templates[path] = check_template(path, report)
    for path in files:
        if path.name.endswith(".parameters.json"):
            check_parameters(path, templates, report)
    if args.no_checkov:
        print("checkov: skipped (--no-checkov)")
    else:
        run_checkov(arm_dir, report)
    print(f"templates: {report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
