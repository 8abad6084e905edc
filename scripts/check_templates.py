#!/usr/bin/env python3
"""Checks for the ARM templates in arm/: structure, the platform rules per plan, then checkov.

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

Platform rules, on what Azure is actually sent: each template is evaluated (conditions, if(),
union(), nested deployments; see "What Azure will be sent" below) for a set of parameter
variants; for arm/azuredeploy.json every combination of plan, Event Hub access, namespace mode,
key mode, package source and subnet, plus inputs that must fail with a clear message. The rules
(each with its source beside it): no siteConfig or site property Flex Consumption rejects, no
Flex-forbidden app settings on Flex, no functionAppConfig on Premium, no property sent as null,
location on every resource type that needs one, __credential beside every identity-based
connection, role ids from the built-in list, Key Vault references that resolve, a package the
app can read for as long as it runs, basic-auth publishing off. An expression the evaluator
cannot resolve fails the check. --show flex|premium|<variant> prints what each resource sends.

Then `checkov -d arm --framework arm --quiet --compact`; any failed check fails this script.
Skips must be justified in the resource's metadata, in the form checkov reads for ARM:
    "metadata": {"checkov": ["checkov:skip=CKV_AZURE_35: why"]}
(The object form {"skip": [{"id": ..., "comment": ...}]} is NOT honoured by checkov 3.x for
ARM; this script rejects it.) A skip without a reason fails this script too.

Usage: python3 scripts/check_templates.py [--no-checkov] [--arm-dir DIR] [--show VARIANT]
Exit status 0 when everything passes. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

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


# ---------------------------------------------------------------------------------------------
# What Azure will be sent: an evaluator for the ARM expressions these templates use.
#
# checkov and the checks above read the template as text. The platform rules below are about
# what each resource actually sends once the conditions, if()s and union()s are resolved, and
# that differs per plan (Flex Consumption or Elastic Premium) and per mode. So the template is
# evaluated for a list of parameter sets (the variants), and the rules run on the result.
#
# The evaluator covers the ARM function subset the templates use and follows ARM where it
# matters here: if() evaluates only the branch it takes (documented: "only the true value or
# the false value is evaluated"), fail() stops the deployment with its message, union()
# merges nested objects, startsWith/endsWith/indexOf ignore case, property names are
# case-insensitive. Values known only at deployment time (reference(), listKeys()) are
# placeholders that may be formatted into strings but never decide a condition. Anything it
# does not know (a function, a runtime value in a condition, a resource-level copy loop)
# raises Unevaluable, and the check fails: it never passes by skipping what it cannot read.
# ---------------------------------------------------------------------------------------------

FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
FAKE_TENANT = "00000000-0000-0000-0000-00000000000a"
FAKE_RESOURCE_GROUP = "rg-entra-coralogix"
FAKE_LOCATION = "westeurope"
FAKE_KEY = "example-coralogix-key"


class Unevaluable(Exception):
    """An expression this evaluator cannot (or must not) resolve; the check fails on it."""


class ArmFailure(Exception):
    """fail() was reached: the deployment would stop with this message."""


class Runtime:
    """A value ARM knows only while deploying (reference(), listKeys(), ...)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def text(self) -> str:
        return f"<runtime:{self.what}>"

    def __repr__(self) -> str:
        return self.text()


def _lex(expr: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c.isspace():
            i += 1
        elif c in "()[],.":
            tokens.append((c, c))
            i += 1
        elif c == "'":
            j = i + 1
            out = []
            while True:
                if j >= len(expr):
                    raise Unevaluable(f"unterminated string in [{expr}]")
                if expr[j] == "'":
                    if j + 1 < len(expr) and expr[j + 1] == "'":
                        out.append("'")
                        j += 2
                        continue
                    break
                out.append(expr[j])
                j += 1
            tokens.append(("str", "".join(out)))
            i = j + 1
        elif c.isdigit() or (c == "-" and i + 1 < len(expr) and expr[i + 1].isdigit()):
            j = i + 1
            while j < len(expr) and expr[j].isdigit():
                j += 1
            tokens.append(("int", int(expr[i:j])))
            i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < len(expr) and (expr[j].isalnum() or expr[j] == "_"):
                j += 1
            tokens.append(("ident", expr[i:j]))
            i = j
        else:
            raise Unevaluable(f"unexpected character {c!r} in [{expr}]")
    return tokens


def parse_expression(expr: str) -> Any:
    """AST of an expression without its brackets: ("str", s) ("int", n) ("call", name, args)
    ("prop", node, name) ("index", node, node)."""
    tokens = _lex(expr)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take(kind: str) -> Any:
        nonlocal pos
        if peek() != kind:
            raise Unevaluable(f"expected {kind!r} at token {pos} of [{expr}]")
        pos += 1
        return tokens[pos - 1][1]

    def atom() -> Any:
        kind = peek()
        if kind in ("str", "int"):
            return (kind, take(kind))
        name = take("ident")
        if peek() != "(":
            if name.lower() in ("true", "false", "null"):
                return ("call", name.lower(), [])
            raise Unevaluable(f"bare identifier {name!r} in [{expr}]")
        take("(")
        args = []
        if peek() != ")":
            args.append(node())
            while peek() == ",":
                take(",")
                args.append(node())
        take(")")
        return ("call", name.lower(), args)

    def node() -> Any:
        n = atom()
        while peek() in (".", "["):
            if peek() == ".":
                take(".")
                n = ("prop", n, take("ident"))
            else:
                take("[")
                n = ("index", n, node())
                take("]")
        return n

    tree = node()
    if pos != len(tokens):
        raise Unevaluable(f"trailing tokens in [{expr}]")
    return tree


def called_functions(tree: Any) -> Iterator[str]:
    if tree[0] == "call":
        yield tree[1]
        for a in tree[2]:
            yield from called_functions(a)
    elif tree[0] == "prop":
        yield from called_functions(tree[1])
    elif tree[0] == "index":
        yield from called_functions(tree[1])
        yield from called_functions(tree[2])


def is_expression(s: Any) -> bool:
    return isinstance(s, str) and s.startswith("[") and not s.startswith("[[") and s.endswith("]")


def _get_ci(obj: dict[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    for k, v in obj.items():
        if k.lower() == name.lower():
            return v
    raise Unevaluable(f"property {name!r} does not exist (has {sorted(obj)})")


def _text(v: Any, fn: str) -> str:
    """A value used as text: strings, numbers and runtime placeholders."""
    if isinstance(v, Runtime):
        return v.text()
    if isinstance(v, bool):
        return "True" if v else "False"  # .NET formatting, as ARM does
    if isinstance(v, (str, int)):
        return str(v)
    raise Unevaluable(f"{fn}() got {type(v).__name__} where text is expected")


def _known(v: Any, fn: str) -> Any:
    """A value a decision depends on: runtime values cannot decide anything here."""
    if isinstance(v, Runtime):
        raise Unevaluable(f"{fn}() depends on a value known only at deployment: {v.text()}")
    return v


def _str(v: Any, fn: str) -> str:
    v = _known(v, fn)
    if not isinstance(v, str):
        raise Unevaluable(f"{fn}() expects a string, got {type(v).__name__}: {v!r}")
    return v


def _bool(v: Any, fn: str) -> bool:
    v = _known(v, fn)
    if not isinstance(v, bool):
        raise Unevaluable(f"{fn}() expects a bool, got {type(v).__name__}: {v!r}")
    return v


def _int(v: Any, fn: str) -> int:
    v = _known(v, fn)
    if isinstance(v, bool) or not isinstance(v, int):
        raise Unevaluable(f"{fn}() expects an int, got {type(v).__name__}: {v!r}")
    return v


def _deep_known(v: Any, fn: str) -> Any:
    if isinstance(v, Runtime):
        _known(v, fn)
    if isinstance(v, dict):
        for x in v.values():
            _deep_known(x, fn)
    if isinstance(v, list):
        for x in v:
            _deep_known(x, fn)
    return v


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            match = next((ek for ek in out if ek.lower() == k.lower()), None)
            if match is not None and isinstance(out[match], dict) and isinstance(v, dict):
                out[match] = _merge(out[match], v)
            else:
                if match is not None:
                    del out[match]
                out[k] = v
        return out
    return b


def _format(fmt: str, args: list[Any]) -> str:
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "{" and fmt.startswith("{{", i):
            out.append("{")
            i += 2
        elif c == "}" and fmt.startswith("}}", i):
            out.append("}")
            i += 2
        elif c == "{":
            j = fmt.index("}", i)
            spec = fmt[i + 1 : j]
            index = int(re.split(r"[,:]", spec)[0])
            if index >= len(args):
                raise Unevaluable(f"format() has no argument {index} for {fmt!r}")
            out.append(_text(args[index], "format"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _resource_type_at(args: list[str]) -> int:
    for i, a in enumerate(args):
        if "/" in a and "." in a.split("/")[0]:
            return i
    raise Unevaluable(f"no resource type among {args}")


def _type_path(type_: str, names: list[str]) -> str:
    namespace, *segments = type_.split("/")
    if len(names) == 1 and len(segments) > 1 and names[0].count("/") == len(segments) - 1:
        names = names[0].split("/")
    if len(segments) != len(names):
        raise Unevaluable(f"{type_} needs {len(segments)} name segments, got {names}")
    return namespace + "/" + "/".join(f"{t}/{n}" for t, n in zip(segments, names))


class Scope:
    """One template (or inner-scope nested template) with its parameter values."""

    def __init__(
        self,
        template: dict[str, Any],
        given: dict[str, Any],
        subscription_id: str = FAKE_SUBSCRIPTION,
        resource_group: str = FAKE_RESOURCE_GROUP,
    ) -> None:
        self.template = template
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.param_specs = {k.lower(): (k, v) for k, v in (template.get("parameters") or {}).items()}
        self.variables = {k.lower(): (k, v) for k, v in (template.get("variables") or {}).items()}
        unknown = [k for k in given if k.lower() not in self.param_specs]
        if unknown:
            raise Unevaluable(f"parameters not declared by the template: {unknown}")
        self.given = {k.lower(): v for k, v in given.items()}
        self.param_cache: dict[str, Any] = {}
        self.var_cache: dict[str, Any] = {}
        self.evaluating: set[str] = set()
        self.copy_index: dict[str, int] = {}
        self.trees: dict[str, Any] = {}

    # -- values
    def parameter(self, name: str) -> Any:
        key = name.lower()
        if key in self.param_cache:
            return self.param_cache[key]
        if key not in self.param_specs:
            raise Unevaluable(f"parameters('{name}') is not declared")
        declared, spec = self.param_specs[key]
        if key in self.given:
            value = self.given[key]
        elif "defaultValue" in spec:
            if ("p:" + key) in self.evaluating:
                raise Unevaluable(f"parameter '{declared}' refers to itself")
            self.evaluating.add("p:" + key)
            value = self.value(spec["defaultValue"])
            self.evaluating.discard("p:" + key)
        else:
            raise Unevaluable(f"required parameter '{declared}' has no value")
        self._validate_parameter(declared, spec, value)
        self.param_cache[key] = value
        return value

    def _validate_parameter(self, name: str, spec: dict[str, Any], value: Any) -> None:
        if isinstance(value, Runtime):
            return  # a nested deployment's parameter fed from reference(): checked by ARM only
        if not type_ok(value, str(spec.get("type", ""))):
            raise Unevaluable(f"parameter '{name}' = {value!r} is not of type {spec.get('type')}")
        allowed = spec.get("allowedValues")
        if allowed is not None and value not in allowed:
            raise Unevaluable(f"parameter '{name}' = {value!r} is not one of {allowed}")
        if isinstance(value, int) and not isinstance(value, bool):
            if "minValue" in spec and value < spec["minValue"]:
                raise Unevaluable(f"parameter '{name}' = {value} is below minValue {spec['minValue']}")
            if "maxValue" in spec and value > spec["maxValue"]:
                raise Unevaluable(f"parameter '{name}' = {value} is above maxValue {spec['maxValue']}")
        if isinstance(value, (str, list)):
            if "minLength" in spec and len(value) < spec["minLength"]:
                raise Unevaluable(f"parameter '{name}' is shorter than minLength {spec['minLength']}")
            if "maxLength" in spec and len(value) > spec["maxLength"]:
                raise Unevaluable(f"parameter '{name}' is longer than maxLength {spec['maxLength']}")

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self.var_cache:
            return self.var_cache[key]
        if key not in self.variables:
            raise Unevaluable(f"variables('{name}') is not declared")
        if ("v:" + key) in self.evaluating:
            raise Unevaluable(f"variable '{name}' refers to itself")
        self.evaluating.add("v:" + key)
        try:
            value = self.value(self.variables[key][1])
        finally:
            self.evaluating.discard("v:" + key)
        self.var_cache[key] = value
        return value

    def value(self, node: Any) -> Any:
        """A JSON value of the template with every expression in it evaluated."""
        if isinstance(node, str):
            if node.startswith("[["):
                return node[1:]
            if is_expression(node):
                tree = self.trees.get(node)
                if tree is None:
                    tree = self.trees[node] = parse_expression(node[1:-1])
                return self.eval(tree)
            return node
        if isinstance(node, list):
            return [self.value(x) for x in node]
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                if k == "copy" and isinstance(v, list):
                    for loop in v:
                        name = _str(self.value(loop["name"]), "copy")
                        count = _int(self.value(loop["count"]), "copy")
                        items = []
                        for i in range(count):
                            self.copy_index[name.lower()] = i
                            items.append(self.value(loop["input"]))
                        self.copy_index.pop(name.lower(), None)
                        out[name] = items
                    continue
                key = self.value(k) if is_expression(k) else k
                out[_text(key, "property name")] = self.value(v)
            return out
        return node

    # -- expressions
    def eval(self, tree: Any) -> Any:
        kind = tree[0]
        if kind in ("str", "int"):
            return tree[1]
        if kind == "prop":
            obj = self.eval(tree[1])
            if isinstance(obj, Runtime):
                return Runtime(f"{obj.what}.{tree[2]}")
            if not isinstance(obj, dict):
                raise Unevaluable(f".{tree[2]} on a {type(obj).__name__}")
            return _get_ci(obj, tree[2])
        if kind == "index":
            obj = self.eval(tree[1])
            idx = self.eval(tree[2])
            if isinstance(obj, Runtime):
                return Runtime(f"{obj.what}[{_text(idx, 'index')}]")
            if isinstance(obj, list):
                i = _int(idx, "index")
                if not 0 <= i < len(obj):
                    raise Unevaluable(f"index {i} is out of range for an array of {len(obj)}")
                return obj[i]
            if isinstance(obj, dict):
                return _get_ci(obj, _str(idx, "index"))
            raise Unevaluable(f"[...] on a {type(obj).__name__}")
        name, args = tree[1], tree[2]
        if name == "if":
            if len(args) != 3:
                raise Unevaluable("if() takes three arguments")
            cond = _bool(self.eval(args[0]), "if")
            return self.eval(args[1] if cond else args[2])
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise Unevaluable(f"function {name}() is not known to scripts/check_templates.py")
        return fn(self, [self.eval(a) for a in args])

    # -- deployment context
    def resource_group_object(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}",
            "name": self.resource_group,
            "location": FAKE_LOCATION,
            "type": "Microsoft.Resources/resourceGroups",
        }


def _fn_resource_id(scope: Scope, args: list[Any]) -> str:
    args = [_text(a, "resourceId") for a in args]
    at = _resource_type_at(args)
    sub, rg = scope.subscription_id, scope.resource_group
    if at == 1:
        rg = args[0]
    elif at == 2:
        sub, rg = args[0], args[1]
    elif at > 2:
        raise Unevaluable(f"resourceId() has too many leading arguments: {args}")
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_type_path(args[at], args[at + 1:])}"


def _fn_subscription_resource_id(scope: Scope, args: list[Any]) -> str:
    args = [_text(a, "subscriptionResourceId") for a in args]
    at = _resource_type_at(args)
    sub = args[0] if at == 1 else scope.subscription_id
    return f"/subscriptions/{sub}/providers/{_type_path(args[at], args[at + 1:])}"


def _fn_extension_resource_id(scope: Scope, args: list[Any]) -> str:
    args = [_text(a, "extensionResourceId") for a in args]
    return f"{args[0]}/providers/{_type_path(args[1], args[2:])}"


def _fn_tenant_resource_id(scope: Scope, args: list[Any]) -> str:
    args = [_text(a, "tenantResourceId") for a in args]
    return f"/providers/{_type_path(args[0], args[1:])}"


def _fn_unique_string(scope: Scope, args: list[Any]) -> str:
    # Deterministic and shaped like ARM's (13 characters of [a-z0-9]); not ARM's exact hash.
    digest = hashlib.sha256("|".join(_text(a, "uniqueString") for a in args).encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(alphabet[b % 32] for b in digest[:13])


def _fn_guid(scope: Scope, args: list[Any]) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(_text(a, "guid") for a in args)))


def _fn_equals(scope: Scope, args: list[Any]) -> bool:
    return _deep_known(args[0], "equals") == _deep_known(args[1], "equals")


def _fn_empty(scope: Scope, args: list[Any]) -> bool:
    v = _known(args[0], "empty")
    return v is None or v == "" or v == [] or v == {}


def _fn_contains(scope: Scope, args: list[Any]) -> bool:
    container, item = _known(args[0], "contains"), _known(args[1], "contains")
    if isinstance(container, str):
        return _str(item, "contains") in container
    if isinstance(container, list):
        return item in container
    if isinstance(container, dict):
        return _str(item, "contains").lower() in (k.lower() for k in container)
    raise Unevaluable(f"contains() on a {type(container).__name__}")


def _fn_length(scope: Scope, args: list[Any]) -> int:
    v = _known(args[0], "length")
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise Unevaluable(f"length() of a {type(v).__name__}")


def _seq(v: Any, fn: str) -> Any:
    v = _known(v, fn)
    if not isinstance(v, (str, list)):
        raise Unevaluable(f"{fn}() expects a string or an array, got {type(v).__name__}")
    return v


def _fn_concat(scope: Scope, args: list[Any]) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [x for a in args for x in a]
    return "".join(_text(a, "concat") for a in args)


def _fn_union(scope: Scope, args: list[Any]) -> Any:
    if all(isinstance(a, dict) for a in args):
        out: dict[str, Any] = {}
        for a in args:
            out = _merge(out, a)
        return out
    if all(isinstance(a, list) for a in args):
        out_list: list[Any] = []
        for a in args:
            for x in a:
                if x not in out_list:
                    out_list.append(x)
        return out_list
    raise Unevaluable(f"union() of {[type(a).__name__ for a in args]}")


def _fn_create_object(scope: Scope, args: list[Any]) -> dict[str, Any]:
    if len(args) % 2:
        raise Unevaluable("createObject() needs name/value pairs")
    return {_str(args[i], "createObject"): args[i + 1] for i in range(0, len(args), 2)}


def _fn_split(scope: Scope, args: list[Any]) -> list[str]:
    s = _str(args[0], "split")
    delims = args[1] if isinstance(args[1], list) else [args[1]]
    parts = [s]
    for d in delims:
        d = _str(d, "split")
        parts = [p for part in parts for p in part.split(d)]
    return parts


def _fn_take(scope: Scope, args: list[Any]) -> Any:
    return _seq(args[0], "take")[: max(0, _int(args[1], "take"))]


def _fn_skip(scope: Scope, args: list[Any]) -> Any:
    return _seq(args[0], "skip")[max(0, _int(args[1], "skip")) :]


def _fn_first(scope: Scope, args: list[Any]) -> Any:
    v = _seq(args[0], "first")
    return v[0] if v else ("" if isinstance(v, str) else None)


def _fn_last(scope: Scope, args: list[Any]) -> Any:
    v = _seq(args[0], "last")
    return v[-1] if v else ("" if isinstance(v, str) else None)


def _fn_fail(scope: Scope, args: list[Any]) -> Any:
    raise ArmFailure(_text(args[0], "fail"))


def _fn_reference(scope: Scope, args: list[Any]) -> Runtime:
    return Runtime(f"reference({_text(args[0], 'reference')})")


def _fn_list(name: str) -> Callable[[Scope, list[Any]], Runtime]:
    return lambda scope, args: Runtime(f"{name}({_text(args[0], name)})")


def _fn_coalesce(scope: Scope, args: list[Any]) -> Any:
    for a in args:
        if _known(a, "coalesce") is not None:
            return a
    return None


FUNCTIONS: dict[str, Callable[[Scope, list[Any]], Any]] = {
    "parameters": lambda s, a: s.parameter(_str(a[0], "parameters")),
    "variables": lambda s, a: s.variable(_str(a[0], "variables")),
    "not": lambda s, a: not _bool(a[0], "not"),
    "and": lambda s, a: all([_bool(x, "and") for x in a]),
    "or": lambda s, a: any([_bool(x, "or") for x in a]),
    "equals": _fn_equals,
    "less": lambda s, a: _known(a[0], "less") < _known(a[1], "less"),
    "lessorequals": lambda s, a: _known(a[0], "lessOrEquals") <= _known(a[1], "lessOrEquals"),
    "greater": lambda s, a: _known(a[0], "greater") > _known(a[1], "greater"),
    "greaterorequals": lambda s, a: _known(a[0], "greaterOrEquals") >= _known(a[1], "greaterOrEquals"),
    "true": lambda s, a: True,
    "false": lambda s, a: False,
    "null": lambda s, a: None,
    "empty": _fn_empty,
    "contains": _fn_contains,
    "length": _fn_length,
    "concat": _fn_concat,
    "union": _fn_union,
    "createobject": _fn_create_object,
    "createarray": lambda s, a: list(a),
    "coalesce": _fn_coalesce,
    "format": lambda s, a: _format(_str(a[0], "format"), a[1:]),
    "tolower": lambda s, a: _str(a[0], "toLower").lower(),
    "toupper": lambda s, a: _str(a[0], "toUpper").upper(),
    "trim": lambda s, a: _str(a[0], "trim").strip(),
    "replace": lambda s, a: _str(a[0], "replace").replace(_str(a[1], "replace"), _str(a[2], "replace")),
    "split": _fn_split,
    "take": _fn_take,
    "skip": _fn_skip,
    "first": _fn_first,
    "last": _fn_last,
    "startswith": lambda s, a: _str(a[0], "startsWith").lower().startswith(_str(a[1], "startsWith").lower()),
    "endswith": lambda s, a: _str(a[0], "endsWith").lower().endswith(_str(a[1], "endsWith").lower()),
    "indexof": lambda s, a: _str(a[0], "indexOf").lower().find(_str(a[1], "indexOf").lower()),
    "string": lambda s, a: (
        _text(a[0], "string") if isinstance(a[0], (str, int, Runtime)) else json.dumps(_deep_known(a[0], "string"))
    ),
    "int": lambda s, a: int(_known(a[0], "int")),
    "bool": lambda s, a: a[0] if isinstance(a[0], bool) else _str(a[0], "bool").lower() == "true",
    "fail": _fn_fail,
    "resourceid": _fn_resource_id,
    "subscriptionresourceid": _fn_subscription_resource_id,
    "extensionresourceid": _fn_extension_resource_id,
    "tenantresourceid": _fn_tenant_resource_id,
    "uniquestring": _fn_unique_string,
    "guid": _fn_guid,
    "reference": _fn_reference,
    "listkeys": _fn_list("listKeys"),
    "resourcegroup": lambda s, a: s.resource_group_object(),
    "subscription": lambda s, a: {
        "id": f"/subscriptions/{s.subscription_id}",
        "subscriptionId": s.subscription_id,
        "tenantId": FAKE_TENANT,
        "displayName": "example",
    },
    "environment": lambda s, a: {
        "name": "AzureCloud",
        "suffixes": {
            "storage": "core.windows.net",
            "keyvaultDns": ".vault.azure.net",
            "sqlServerHostname": ".database.windows.net",
        },
    },
    "deployment": lambda s, a: {"name": "entra-coralogix", "properties": {}},
}


def _copy_index(scope: Scope, args: list[Any]) -> int:
    if not args or not isinstance(args[0], str):
        raise Unevaluable("copyIndex() without a loop name")
    key = args[0].lower()
    if key not in scope.copy_index:
        raise Unevaluable(f"copyIndex('{args[0]}') outside its loop")
    return scope.copy_index[key] + (_int(args[1], "copyIndex") if len(args) > 1 else 0)


FUNCTIONS["copyindex"] = _copy_index


# The parts of a resource ARM resolves for every resource, deployed or not (its id and where it
# goes), and the parts it sends only when the condition holds.
ADDRESS_KEYS = ("name", "type", "apiVersion", "subscriptionId", "resourceGroup", "scope", "dependsOn")
NOT_SENT_KEYS = ("condition", "metadata", "comments", "copy", "resources") + ADDRESS_KEYS


def evaluate_deployment(
    template: dict[str, Any],
    given: dict[str, Any],
    subscription_id: str = FAKE_SUBSCRIPTION,
    resource_group: str = FAKE_RESOURCE_GROUP,
    where: str = "",
    path: tuple[int, ...] = (),
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The resources a deployment sends (type, name, address and evaluated body, nested
    deployments' resources included) and its outputs. Raises ArmFailure or Unevaluable."""
    scope = Scope(template, given, subscription_id, resource_group)
    for key in scope.param_specs:  # every parameter resolves and passes its constraints
        scope.parameter(scope.param_specs[key][0])
    for key in scope.variables:  # ARM evaluates every variable, used or not: so does this
        scope.variable(scope.variables[key][0])
    resources = template.get("resources") or []
    if isinstance(resources, dict):
        raise Unevaluable("symbolic-name resources (languageVersion 2.0) are not supported")
    sent: list[dict[str, Any]] = []
    for index, r in enumerate(resources):
        if "copy" in r or "resources" in r:
            raise Unevaluable(f"resource {index} ({r.get('type')}) uses copy or child resources")
        address = {k: scope.value(r[k]) for k in ADDRESS_KEYS if k in r}
        condition = _bool(scope.value(r.get("condition", True)), "condition")
        if not condition:
            continue
        inner = is_inner_deployment(r)
        body = {
            k: (
                # An inner-scope template is evaluated in its own scope, below.
                {pk: ("<evaluated as its own scope>" if pk == "template" else scope.value(pv)) for pk, pv in v.items()}
                if inner and k == "properties"
                else scope.value(v)
            )
            for k, v in r.items()
            if k not in NOT_SENT_KEYS
        }
        entry = dict(address, **body)
        entry["_where"] = where or "template"
        entry["_path"] = path + (index,)
        sent.append(entry)
        if inner:
            inner_params = {
                k: v.get("value") for k, v in (body["properties"].get("parameters") or {}).items()
            }
            nested, _ = evaluate_deployment(
                r["properties"]["template"],
                inner_params,
                address.get("subscriptionId", subscription_id),
                address.get("resourceGroup", resource_group),
                where=f"{where or 'template'} > {address['name']}",
                path=path + (index,),
            )
            sent.extend(nested)
        elif str(r.get("type", "")).lower() == "microsoft.resources/deployments":
            raise Unevaluable("nested deployments with outer expression scope are not supported")
    outputs = {k: scope.value(v.get("value")) for k, v in (template.get("outputs") or {}).items()}
    return sent, outputs


def template_functions(template: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for s in strings(template, skip_inner=False):
        if is_expression(s):
            names.update(called_functions(parse_expression(s[1:-1])))
    return names


# ---------------------------------------------------------------------------------------------
# Platform rules, checked on what each variant sends. Each rule names its source.
# ---------------------------------------------------------------------------------------------

# siteConfig properties Flex Consumption sites reject (ARM error 51021, "... for Flex
# Consumption sites is invalid. Please remove or rename them before retrying"), enforced on
# newer regional stamps and ignored on older ones:
#   FtpsState, Use32BitWorkerProcess, NetFrameworkVersion, FunctionsRuntimeScaleMonitoringEnabled
#     - microsoft/azure-pipelines-tasks#21032; PreWarmedInstanceCount in the same error on
#       Microsoft Q&A 2277522 (quoted in Azure/terraform-azurerm-avm-res-web-site#360)
#   LinuxFxVersion - Azure/terraform-azurerm-avm-res-web-site#345
#   FunctionAppScaleLimit - Azure/azure-functions-host#10643, microsoft/azure-pipelines-tasks#22254
# and the site properties the "Flex Consumption plan deprecations" table
# (learn.microsoft.com/azure/azure-functions/functions-app-settings) marks as not valid or
# moved to functionAppConfig: alwaysOn, windowsFxVersion, javaVersion, powerShellVersion.
FLEX_SITECONFIG_REJECTED = {
    "ftpsstate", "use32bitworkerprocess", "netframeworkversion",
    "functionsruntimescalemonitoringenabled", "prewarmedinstancecount", "linuxfxversion",
    "functionappscalelimit", "alwayson", "windowsfxversion", "javaversion", "powershellversion",
    "nodeversion", "pythonversion", "phpversion", "minimumelasticinstancecount",
}
# The siteConfig properties this template may send to Flex. Only the TLS floors: the official
# Flex quickstart sets minTlsVersion, and azurerm's Flex Consumption resource
# (azurerm_function_app_flex_consumption, hashicorp/terraform-provider-azurerm) sends
# minTlsVersion and scmMinTlsVersion to FC1 sites. Anything else must be added here with a
# source showing Flex accepts it; remoteDebuggingEnabled stays out (the portal hides remote
# debugging for Flex apps, Azure/azure-functions-ux#7660, and it is off by default).
FLEX_SITECONFIG_ALLOWED = {"mintlsversion", "scmmintlsversion"}
# Site-level properties sent to Flex: those of the official Flex ARM sample
# (Azure-Samples/azure-functions-flex-consumption-samples IaC/armtemplate/azuredeploy.json:
# serverFarmId, functionAppConfig, siteConfig) and of azurerm's Flex Consumption resource
# (httpsOnly, enabled, clientCert*, publicNetworkAccess, virtualNetworkSubnetId,
# outboundVnetRouting). Not reserved/isReserved, which the Flex deprecations table lists as not
# valid, nor vnetRouteAllEnabled (Flex routes through outboundVnetRouting; its app-setting form
# WEBSITE_VNET_ROUTE_ALL is deprecated on Flex).
FLEX_SITE_PROPERTIES_ALLOWED = {
    "serverfarmid", "functionappconfig", "siteconfig", "httpsonly", "enabled",
    "clientcertenabled", "clientcertmode", "clientcertexclusionpaths", "publicnetworkaccess",
    "virtualnetworksubnetid", "outboundvnetrouting",
}
# App settings Flex Consumption does not take ("Flex Consumption plan deprecations" in
# learn.microsoft.com/azure/azure-functions/functions-app-settings): the runtime comes from
# functionAppConfig.runtime, FUNCTIONS_EXTENSION_VERSION is set by the backend, the code from
# functionAppConfig.deployment (no content share, no run-from-package), no Oryx/Kudu build.
# A maintainer confirms FUNCTIONS_WORKER_RUNTIME "isn't accepted on Flex" (Azure/azure-dev#8307).
FLEX_FORBIDDEN_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION", "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY", "FUNCTIONS_WORKER_PROCESS_COUNT",
    "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED", "WEBSITE_NODE_DEFAULT_VERSION",
    "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD", "WEBSITE_VNET_ROUTE_ALL",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
}
FLEX_FORBIDDEN_SETTING_PREFIXES = ("WEBSITE_CONTENT", "WEBSITE_RUN_FROM_PACKAGE")

# Resource types that must carry a location, and those that take none. Every type a template
# sends must be in one of the two, so a new type forces the question.
# Tracked resources need one (ARM template reference for each type). The publishing-credentials
# policies are proxy resources whose spec omits location, yet the provider fails without it with
# "The parameter location has an invalid value" (Azure/bicep-types-az#1526, #1529;
# Azure/bicep#7396).
LOCATION_REQUIRED = {
    "microsoft.operationalinsights/workspaces", "microsoft.insights/components",
    "microsoft.storage/storageaccounts", "microsoft.keyvault/vaults",
    "microsoft.eventhub/namespaces", "microsoft.web/serverfarms", "microsoft.web/sites",
    "microsoft.web/sites/basicpublishingcredentialspolicies",
}
LOCATION_NOT_TAKEN = {
    "microsoft.storage/storageaccounts/blobservices",
    "microsoft.storage/storageaccounts/blobservices/containers",
    "microsoft.keyvault/vaults/secrets", "microsoft.insights/diagnosticsettings",
    "microsoft.eventhub/namespaces/eventhubs", "microsoft.eventhub/namespaces/eventhubs/consumergroups",
    "microsoft.eventhub/namespaces/eventhubs/authorizationrules",
    "microsoft.eventhub/namespaces/authorizationrules", "microsoft.authorization/roleassignments",
    "microsoft.resources/deployments",  # resource-group scope: location is for sub/tenant scope only
    "microsoft.web/sites/config", "microsoft.web/sites/extensions",
    "microsoft.aadiam/diagnosticsettings",
}

# Identity-based connections: the properties that make a connection identity-based, and the one
# that says which identity. The Functions reference ("Common properties for identity-based
# connections", learn.microsoft.com/azure/azure-functions/functions-reference) documents
# <CONNECTION>__credential = managedidentity, and the official Flex sample sets
# AzureWebJobsStorage__credential beside the account settings for a system-assigned identity.
IDENTITY_CONNECTION_SUFFIXES = (
    "__serviceuri", "__blobserviceuri", "__queueserviceuri", "__tableserviceuri",
    "__fullyqualifiednamespace", "__accountname",
)

# Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
BUILTIN_ROLES = {
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": "Azure Event Hubs Data Receiver",
    "2b629674-e913-4c01-ae53-ef4638d8f975": "Azure Event Hubs Data Sender",
    "f526a384-b230-433a-b45c-95f59c4a2dec": "Azure Event Hubs Data Owner",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
BLOB_READ_ROLES = {"Storage Blob Data Owner", "Storage Blob Data Contributor", "Storage Blob Data Reader"}
ROLE_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Authorization/roleDefinitions/([0-9a-f-]{36})$", re.I
)
KV_REFERENCE_RE = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=(https://[^)]+)\)$")


class Variant:
    def __init__(self, label: str, params: dict[str, Any], expect_failure: str | None = None) -> None:
        self.label = label
        self.params = params
        self.expect_failure = expect_failure

    @property
    def flex(self) -> bool:
        return self.params.get("hostingPlan", "FlexConsumption") == "FlexConsumption"


def _of_type(sent: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [r for r in sent if str(r.get("type", "")).lower() == type_.lower()]


def _app_settings(sent: list[dict[str, Any]]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for r in _of_type(sent, "Microsoft.Web/sites/config"):
        if str(r["name"]).lower().endswith("/appsettings"):
            settings.update(r.get("properties") or {})
    for site in _of_type(sent, "Microsoft.Web/sites"):
        for pair in ((site.get("properties") or {}).get("siteConfig") or {}).get("appSettings") or []:
            settings[pair.get("name")] = pair.get("value")
    return settings


def _role_assignments(sent: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(role name or '', scope, assignment) for each role assignment sent."""
    out = []
    for r in _of_type(sent, "Microsoft.Authorization/roleAssignments"):
        rid = str((r.get("properties") or {}).get("roleDefinitionId", ""))
        m = ROLE_ID_RE.match(rid)
        out.append((BUILTIN_ROLES.get(m.group(1).lower(), "") if m else "", str(r.get("scope", "")), r))
    return out


def _walk_values(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk_values(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_values(v, f"{path}[{i}]")


def _label(r: dict[str, Any]) -> str:
    return f"{r.get('type')} {r.get('name')}"


def rule_flex_site(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    problems = []
    for site in _of_type(sent, "Microsoft.Web/sites"):
        props = site.get("properties") or {}
        sc = props.get("siteConfig") or {}
        if v.flex:
            for key in sc:
                if key.lower() in FLEX_SITECONFIG_REJECTED:
                    problems.append(f"Flex site sends siteConfig.{key}, which Flex rejects")
                elif key.lower() not in FLEX_SITECONFIG_ALLOWED:
                    problems.append(f"Flex site sends siteConfig.{key}, not known to be accepted by Flex")
            for key in props:
                if key.lower() not in FLEX_SITE_PROPERTIES_ALLOWED:
                    problems.append(f"Flex site sends properties.{key}, not known to be accepted by Flex")
            fac = props.get("functionAppConfig")
            if not isinstance(fac, dict):
                problems.append("Flex site has no functionAppConfig (Flex requires it)")
            else:
                runtime = fac.get("runtime") or {}
                if runtime.get("name") != "custom":
                    problems.append(f"functionAppConfig.runtime is {runtime}, not custom")
        else:
            if "functionAppConfig" in props:
                problems.append("Premium site sends functionAppConfig, which is Flex-only")
            wanted = {"ftpsState": "Disabled", "remoteDebuggingEnabled": False}
            for key, value in wanted.items():
                if sc.get(key) != value:
                    problems.append(f"Premium site: siteConfig.{key} is {sc.get(key)!r}, want {value!r}")
        for key in ("minTlsVersion", "scmMinTlsVersion"):
            if sc.get(key) != "1.2":
                problems.append(f"siteConfig.{key} is {sc.get(key)!r}, want '1.2'")
        if props.get("httpsOnly") is not True:
            problems.append("site does not set httpsOnly true")
        if (site.get("identity") or {}).get("type") != "SystemAssigned":
            problems.append("site identity is not SystemAssigned")
    return problems


def rule_flex_settings(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    settings = _app_settings(sent)
    problems = []
    if v.flex:
        for name in settings:
            up = name.upper()
            if up in FLEX_FORBIDDEN_SETTINGS or up.startswith(FLEX_FORBIDDEN_SETTING_PREFIXES):
                problems.append(f"Flex gets app setting {name}, which Flex does not take")
    elif _of_type(sent, "Microsoft.Web/sites"):
        for name, want in (("FUNCTIONS_WORKER_RUNTIME", "custom"), ("FUNCTIONS_EXTENSION_VERSION", "~4")):
            if settings.get(name) != want:
                problems.append(f"Premium: {name} is {settings.get(name)!r}, want {want!r}")
    storage = _of_type(sent, "Microsoft.Storage/storageAccounts")
    keyless = all((s.get("properties") or {}).get("allowSharedKeyAccess") is False for s in storage)
    content = [n for n in settings if n.upper().startswith("WEBSITE_CONTENT")]
    if content and keyless:
        problems.append(f"{content} need an account key, and shared keys are disabled on the account")
    return problems


def rule_settings_shape(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    # One owner for the app settings: the config/appsettings resource replaces the whole set on
    # every deployment, so settings also placed in siteConfig.appSettings would fight with it.
    problems = [
        f"{_label(site)} carries siteConfig.appSettings; the config/appsettings resource owns them"
        for site in _of_type(sent, "Microsoft.Web/sites")
        if "appSettings" in ((site.get("properties") or {}).get("siteConfig") or {})
    ]
    for name, value in _app_settings(sent).items():
        if not isinstance(value, (str, Runtime)):
            problems.append(f"app setting {name} is a {type(value).__name__}, not a string")
    return problems


def rule_no_nulls(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    # ARM sends a property that evaluates to null as null, it does not leave it out; Flex-only
    # functionAppConfig sent as null was rejected on Premium. Leave properties out with union().
    problems = []
    for r in sent:
        body = {k: x for k, x in r.items() if not k.startswith("_") and k not in ADDRESS_KEYS}
        for path, value in _walk_values(body):
            if value is None:
                problems.append(f"{_label(r)}: {path} is null")
    return problems


def rule_location(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    problems = []
    for r in sent:
        t = str(r.get("type", "")).lower()
        if t in LOCATION_REQUIRED:
            if not isinstance(r.get("location"), str) or not r["location"]:
                problems.append(f"{_label(r)} has no location")
        elif t not in LOCATION_NOT_TAKEN:
            problems.append(f"type {r.get('type')} is in neither LOCATION_REQUIRED nor LOCATION_NOT_TAKEN")
    return problems


def rule_identity_settings(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    settings = _app_settings(sent)
    lower = {k.lower(): k for k in settings}
    problems = []
    for name in settings:
        for suffix in IDENTITY_CONNECTION_SUFFIXES:
            if name.lower().endswith(suffix):
                prefix = name[: -len(suffix)]
                cred = lower.get(f"{prefix}__credential".lower())
                if cred is None:
                    problems.append(f"{name} without {prefix}__credential")
                elif str(settings[cred]).lower() != "managedidentity":
                    problems.append(f"{cred} is {settings[cred]!r}, want 'managedidentity'")
                if f"{prefix}__clientid".lower() in lower:
                    problems.append(f"{prefix}__clientId names a user-assigned identity; the app has only a system-assigned one")
    return problems


def rule_roles(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    problems = []
    for role, scope, r in _role_assignments(sent):
        props = r.get("properties") or {}
        if not role:
            problems.append(f"{_label(r)}: roleDefinitionId {props.get('roleDefinitionId')!r} is not a known built-in role")
        if props.get("principalType") != "ServicePrincipal":
            problems.append(f"{_label(r)}: principalType is {props.get('principalType')!r}, want ServicePrincipal")
        principal = props.get("principalId")
        if not (isinstance(principal, Runtime) and ".identity.principalId" in principal.what):
            problems.append(f"{_label(r)}: principalId {principal!r} is not the app's identity")
    return problems


def rule_key_vault_references(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    problems = []
    vaults = [str(r["name"]) for r in _of_type(sent, "Microsoft.KeyVault/vaults")]
    secrets = {str(r["name"]).lower() for r in _of_type(sent, "Microsoft.KeyVault/vaults/secrets")}
    readers = [
        scope for role, scope, _ in _role_assignments(sent)
        if role == "Key Vault Secrets User"
    ]
    for name, value in _app_settings(sent).items():
        if not isinstance(value, str) or not value.startswith("@Microsoft.KeyVault"):
            continue
        m = KV_REFERENCE_RE.match(value)
        if not m:
            problems.append(f"{name}: malformed Key Vault reference {value!r}")
            continue
        uri = m.group(1)
        own = [vault for vault in vaults if uri.lower().startswith(f"https://{vault}.vault.azure.net/secrets/".lower())]
        if own:
            vault = own[0]
            secret = uri.split("/secrets/", 1)[1].strip("/")
            kept = (params.get("coralogixPrivateKeyMode") == "keep" and secret == "coralogix-private-key") or (
                params.get("pseudonymizeKeyMode") == "keep" and secret == "pseudonymize-key"
            )
            if f"{vault}/{secret}".lower() not in secrets and not kept:
                problems.append(f"{name} refers to secret {secret!r}, which this variant neither writes nor keeps")
            if not any(s.lower() == f"microsoft.keyvault/vaults/{vault}".lower() for s in readers):
                problems.append(f"{name}: the app's identity has no Key Vault Secrets User on {vault}")
        elif uri != params.get("coralogixPrivateKeySecretUri") or params.get("coralogixPrivateKeyMode") != "external":
            problems.append(f"{name} refers to {uri}, neither this template's vault nor coralogixPrivateKeySecretUri")
    return problems


def _blob_readers(sent: list[dict[str, Any]], account: str, container: str) -> list[str]:
    account_scope = f"microsoft.storage/storageaccounts/{account}".lower()
    container_scope = f"{account_scope}/blobservices/default/containers/{container}".lower()
    return [
        role for role, scope, _ in _role_assignments(sent)
        if role in BLOB_READ_ROLES and scope.lower() in (account_scope, container_scope)
    ]


def rule_package(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    # Premium re-reads WEBSITE_RUN_FROM_PACKAGE on every start and scale-out, so it must be a blob
    # the app's identity can read for as long as the version runs: no SAS that expires
    # (learn.microsoft.com/azure/app-service/deploy-run-package, "Access a package in Azure Blob
    # Storage using a managed identity": private blob, Storage Blob Data Reader for the identity,
    # the blob URL as the setting). Flex runs from its deployment container and onedeploy fills it.
    problems: list[str] = []
    if not _of_type(sent, "Microsoft.Web/sites"):
        return problems
    settings = _app_settings(sent)
    accounts = [str(r["name"]) for r in _of_type(sent, "Microsoft.Storage/storageAccounts")]
    containers = {str(r["name"]).lower() for r in _of_type(sent, "Microsoft.Storage/storageAccounts/blobServices/containers")}
    onedeploy = [r for r in _of_type(sent, "Microsoft.Web/sites/extensions") if str(r["name"]).endswith("/onedeploy")]
    if v.flex:
        for site in _of_type(sent, "Microsoft.Web/sites"):
            storage = (((site.get("properties") or {}).get("functionAppConfig") or {}).get("deployment") or {}).get("storage") or {}
            m = re.match(r"^https://([^.]+)\.blob\.[^/]+/([^/?]+)$", str(storage.get("value", "")))
            if not m or f"{m.group(1)}/default/{m.group(2)}".lower() not in containers:
                problems.append(f"Flex deployment storage {storage.get('value')!r} is not a container this template creates")
            elif (storage.get("authentication") or {}).get("type") != "SystemAssignedIdentity":
                problems.append("Flex deployment storage is not reached with the system-assigned identity")
            elif "Storage Blob Data Owner" not in _blob_readers(sent, m.group(1), m.group(2)):
                problems.append("the app's identity is not Storage Blob Data Owner where Flex stores its package")
        if bool(params.get("packageUrl")) != bool(onedeploy):
            problems.append(f"onedeploy sent: {bool(onedeploy)}, packageUrl given: {bool(params.get('packageUrl'))}")
        return problems
    if onedeploy:
        problems.append("Premium sends onedeploy; it runs from WEBSITE_RUN_FROM_PACKAGE")
    url = settings.get("WEBSITE_RUN_FROM_PACKAGE")
    m = re.match(r"^https://([^.]+)\.blob\.core\.windows\.net/([^/?]+)/([^?]+\.zip)$", str(url))
    if not m:
        problems.append(f"WEBSITE_RUN_FROM_PACKAGE {url!r} is not a plain blob URL of a .zip")
        return problems
    if settings.get("WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID") != "SystemAssigned":
        problems.append("WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID is not SystemAssigned")
    account, container = m.group(1), m.group(2)
    if account in accounts and f"{account}/default/{container}".lower() not in containers:
        problems.append(f"the package container {container} is not created in the app's account")
    if not _blob_readers(sent, account, container):
        problems.append(f"the app's identity has no blob read role on {account}/{container}")
    if account not in accounts:
        target = str(params.get("packageStorageAccountId", "")).split("/")
        deployments = [
            r for r in _of_type(sent, "Microsoft.Resources/deployments")
            if str(r.get("name", "")).startswith("entra-coralogix-package")
        ]
        if len(target) < 9 or not deployments or (
            deployments[0].get("subscriptionId"), deployments[0].get("resourceGroup")
        ) != (target[2], target[4]):
            problems.append("the package's reader role is not deployed into packageStorageAccountId's resource group")
    return problems


def rule_publishing(v: Variant, sent: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    # Basic-auth publishing off: scm on both plans, ftp where FTP exists (Premium).
    if not _of_type(sent, "Microsoft.Web/sites"):
        return []
    policies = {
        str(r["name"]).rsplit("/", 1)[-1]: (r.get("properties") or {}).get("allow")
        for r in _of_type(sent, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    }
    wanted = ["scm"] if v.flex else ["scm", "ftp"]
    return [f"publishing policy {p} is {policies.get(p)!r}, want allow false" for p in wanted if policies.get(p) is not False]


RULES: list[tuple[str, str, Callable[[Variant, list[dict[str, Any]], dict[str, Any]], list[str]]]] = [
    ("flex-site", "Flex sites send only the siteConfig and site properties Flex accepts; Premium gets no functionAppConfig, FTPS and remote debugging off; TLS 1.2 and HTTPS only on both", rule_flex_site),
    ("flex-settings", "no Flex-forbidden app settings on Flex; Premium selects the custom runtime; no content share without account keys", rule_flex_settings),
    ("settings-shape", "every app setting is a string, set only by the config/appsettings resource", rule_settings_shape),
    ("no-nulls", "no property is sent as null", rule_no_nulls),
    ("location", "location on every resource type that needs it", rule_location),
    ("identity-settings", "__credential=managedidentity beside every identity-based connection", rule_identity_settings),
    ("roles", "role assignments use built-in role ids and go to the app's identity", rule_roles),
    ("key-vault-references", "Key Vault references point to secrets this variant writes or keeps, readable by the app", rule_key_vault_references),
    ("package", "the package is readable by the app for as long as it runs (Premium) / onedeploy runs exactly when a URL is given (Flex)", rule_package),
    ("publishing", "basic-auth publishing off (scm on both plans, ftp on Premium)", rule_publishing),
]


def parameter_file_values(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: v["value"] for k, v in (doc.get("parameters") or {}).items() if isinstance(v, dict) and "value" in v}


def azuredeploy_variants(template: dict[str, Any], base: dict[str, Any]) -> list[Variant]:
    """Every combination of plan, Event Hub access, namespace mode, key mode, package and subnet,
    the package from another account, the Key Vault salt, and inputs that must fail."""
    params = template.get("parameters") or {}

    def allowed(name: str) -> list[Any]:
        return list(params[name]["allowedValues"])

    other_sub = "00000000-0000-0000-0000-000000000002"
    namespace_id = f"/subscriptions/{other_sub}/resourceGroups/rg-shared-logs/providers/Microsoft.EventHub/namespaces/entra-logs-shared"
    subnet_id = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apps"
    release_account_id = f"/subscriptions/{other_sub}/resourceGroups/rg-releases/providers/Microsoft.Storage/storageAccounts/entrareleases"
    release_blob = "https://entrareleases.blob.core.windows.net/entra-coralogix/entra-coralogix-0.1.0.zip"
    sas_url = release_blob + "?sv=2022-11-02&se=2030-01-01T00%3A00Z&sr=b&sp=r&skoid=x&sig=example"
    external_uri = "https://kv-shared.vault.azure.net/secrets/coralogix-send-your-data-key"
    variants = []
    for plan in allowed("hostingPlan"):
        for auth in allowed("eventHubAuthentication"):
            for ns_mode in allowed("eventHubNamespaceMode"):
                for key_mode in allowed("coralogixPrivateKeyMode"):
                    for package in ("none", "url"):
                        for subnet in (False, True):
                            p = dict(base, hostingPlan=plan, eventHubAuthentication=auth,
                                     eventHubNamespaceMode=ns_mode, coralogixPrivateKeyMode=key_mode)
                            p["coralogixPrivateKey"] = FAKE_KEY if key_mode == "write" else ""
                            if key_mode == "external":
                                p["coralogixPrivateKeySecretUri"] = external_uri
                            if ns_mode == "existing":
                                p["existingEventHubNamespaceId"] = namespace_id
                            if package == "url":
                                if plan == "FlexConsumption":
                                    p["packageUrl"] = sas_url
                                else:
                                    p["packageUrl"] = release_blob
                                    p["packageStorageAccountId"] = release_account_id
                            if subnet:
                                p["integrationSubnetId"] = subnet_id
                            label = " ".join([plan, auth, ns_mode, f"key={key_mode}", f"package={package}"] + (["subnet"] if subnet else []))
                            variants.append(Variant(label, p))
    premium = dict(base, hostingPlan="EP1", coralogixPrivateKey=FAKE_KEY)
    variants.append(Variant("EP1 keyVaultNameSalt", dict(premium, keyVaultNameSalt="2026-recreated")))
    variants.append(Variant("EP1 package in own account, explicit URL", dict(premium, packageUrl="<own>/entra-coralogix-0.2.0.zip")))
    pseudonyms = dict(base, coralogixPrivateKey=FAKE_KEY, maskValues="ip,email", maskFields="identity")
    long_key = "p" * 48
    variants.append(Variant("pseudonymize key=write", dict(pseudonyms, pseudonymizeKeyMode="write", pseudonymizeKey=long_key)))
    variants.append(Variant("pseudonymize key=keep", dict(pseudonyms, pseudonymizeKeyMode="keep")))
    failing = [
        ("write mode without a key", dict(base, coralogixPrivateKey=""), "coralogixPrivateKey is empty"),
        ("key given in keep mode", dict(base, coralogixPrivateKeyMode="keep", coralogixPrivateKey=FAKE_KEY), "would be ignored"),
        ("external mode without a URI", dict(base, coralogixPrivateKeyMode="external"), "coralogixPrivateKeySecretUri is empty"),
        ("pseudonymize key shorter than 32 characters", dict(base, coralogixPrivateKey=FAKE_KEY, pseudonymizeKeyMode="write", pseudonymizeKey="short"), "shorter than 32 characters"),
        ("pseudonymize key given without write mode", dict(base, coralogixPrivateKey=FAKE_KEY, pseudonymizeKey="p" * 48), "pseudonymizeKey is given but pseudonymizeKeyMode is none"),
        ("secret URI outside external mode", dict(base, coralogixPrivateKey=FAKE_KEY, coralogixPrivateKeySecretUri=external_uri), "read only with coralogixPrivateKeyMode=external"),
        ("Premium package URL with a SAS", dict(premium, packageUrl=sas_url, packageStorageAccountId=release_account_id), "without a SAS"),
        ("Premium package URL that is not a blob", dict(premium, packageUrl="https://github.com/o/r/releases/download/v1/entra-coralogix.zip"), "must point into the app-package container"),
        ("Premium package URL without a blob path", dict(premium, packageUrl="https://entrareleases.blob.core.windows.net/entra-coralogix", packageStorageAccountId=release_account_id), "must be a blob URL"),
        ("Premium package in another account, no packageStorageAccountId", dict(premium, packageUrl=release_blob), "or pass packageStorageAccountId"),
        ("Premium packageStorageAccountId naming another account", dict(premium, packageUrl=release_blob, packageStorageAccountId=release_account_id.replace("entrareleases", "other")), "named by packageStorageAccountId"),
        ("Premium packageStorageAccountId without a URL", dict(premium, packageStorageAccountId=release_account_id), "packageUrl is empty"),
    ]
    variants += [Variant(label, p, expect) for label, p, expect in failing]
    return variants


def resolve_placeholders(template: dict[str, Any], variant: Variant) -> None:
    """'<own>' in packageUrl: the app's own package container, whose account name the template
    computes."""
    url = variant.params.get("packageUrl", "")
    if isinstance(url, str) and url.startswith("<own>"):
        probe = dict(variant.params, packageUrl="")
        _, outputs = evaluate_deployment(template, probe)
        own = outputs["runFromPackageUrl"].rsplit("/", 1)[0]
        variant.params["packageUrl"] = own + url[len("<own>"):]


def resource_paths(template: dict[str, Any], prefix: tuple[int, ...] = ()) -> dict[tuple[int, ...], str]:
    """Position of every resource (nested templates' included) and its type."""
    paths = {}
    for i, r in enumerate(template.get("resources") or []):
        paths[prefix + (i,)] = str(r.get("type"))
        if is_inner_deployment(r):
            paths.update(resource_paths(r["properties"]["template"], prefix + (i,)))
    return paths


SHOW_ALIASES = {
    "flex": "FlexConsumption ManagedIdentity new key=write package=none",
    "premium": "EP1 ManagedIdentity new key=write package=none",
}


def role_name_problems(template: dict[str, Any]) -> list[str]:
    """The roles variable names each role after the built-in role whose id it holds."""
    roles = (template.get("variables") or {}).get("roles")
    problems = []
    for key, role_id in (roles or {}).items() if isinstance(roles, dict) else []:
        name = BUILTIN_ROLES.get(str(role_id).lower())
        if name is None:
            problems.append(f"roles.{key} = {role_id} is not a known built-in role id")
        elif not name.replace(" ", "").lower().endswith(key.lower()):
            problems.append(f"roles.{key} = {role_id} is {name!r}")
    return problems


def check_platform_rules(
    path: Path, template: dict[str, Any], variants: list[Variant], report: Report, show: str | None
) -> None:
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: platform rules, per variant")
    unknown = sorted(template_functions(template) - set(FUNCTIONS) - {"if"})
    report.check(True, "every function the template calls is one this script can evaluate",
                 [f"{name}() is not supported by the evaluator; add it" for name in unknown])
    if unknown:
        return
    report.check(True, "role ids in variables('roles') are the built-in roles they are named after",
                 role_name_problems(template))
    show = SHOW_ALIASES.get(show.lower(), show) if show else None
    results: list[tuple[Variant, list[dict[str, Any]]]] = []
    failures: list[str] = []
    for variant in variants:
        try:
            resolve_placeholders(template, variant)
            sent, _ = evaluate_deployment(template, variant.params)
        except ArmFailure as e:
            if variant.expect_failure is None:
                failures.append(f"{variant.label}: the deployment fails: {e}")
            elif variant.expect_failure not in str(e):
                failures.append(f"{variant.label}: fails with {str(e)!r}, expected a message with {variant.expect_failure!r}")
            continue
        except Unevaluable as e:
            failures.append(f"{variant.label}: cannot evaluate: {e}")
            continue
        if variant.expect_failure is not None:
            failures.append(f"{variant.label}: deploys, but should fail with {variant.expect_failure!r}")
            continue
        results.append((variant, sent))
        if show and show.lower() == variant.label.lower():
            print(f"  --- {variant.label}: what each resource sends")
            for r in sent:
                body = {k: x for k, x in r.items() if not k.startswith("_")}
                print("  " + json.dumps(body, indent=2, default=repr).replace("\n", "\n  "))
    expected = sum(1 for v in variants if v.expect_failure)
    report.check(True, f"{len(variants) - expected} variants evaluate; {expected} bad inputs fail with their message", failures)
    for rule_id, what, rule in RULES:
        problems = []
        for variant, sent in results:
            problems += [f"{variant.label}: {p}" for p in rule(variant, sent, variant.params)]
        report.check(True, f"[{rule_id}] {what}", problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else []))
    if show and not any(show.lower() == v.label.lower() for v, _ in results):
        print(f"  --show {show!r}: no variant that deploys has that label")
    seen = {tuple(r["_path"]) for _, sent in results for r in sent}
    paths = resource_paths(template)
    report.check(True, "every resource is sent by at least one variant",
                 [f"resource {p} ({paths[p]}) is never deployed in any variant" for p in sorted(set(paths) - seen)])


def check_all_platform_rules(templates: dict[Path, dict[str, Any] | None], report: Report, show: str | None) -> None:
    for path, template in templates.items():
        if template is None:
            continue
        base = parameter_file_values(path.with_name(path.name.replace(".json", ".parameters.json")))
        if path.name == "azuredeploy.json":
            try:
                variants = azuredeploy_variants(template, base)
            except KeyError as e:
                report.check(False, f"{path.name}: build the variants", [f"parameter or allowedValues missing: {e}"])
                continue
        else:
            variants = [Variant("parameters file", base)]
        check_platform_rules(path, template, variants, report, show)


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
    ap.add_argument(
        "--show",
        metavar="VARIANT",
        help="print what each resource sends in one variant: 'flex', 'premium' (the defaults of "
        "each plan) or a variant's full label as printed in a failure",
    )
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
    check_all_platform_rules(templates, report, args.show)
    if args.no_checkov:
        print("checkov: skipped (--no-checkov)")
    else:
        run_checkov(arm_dir, report)
    print(f"templates: {report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
