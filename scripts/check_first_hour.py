#!/usr/bin/env python3
"""Checks what a new user meets in the first hour, without Azure: the ignore file, the links
of the READMEs, one deployment name everywhere, the test-event producer
(scripts/send-test-events.py) and the one-command deployment (scripts/deploy.sh).

Standard library only; needs no Azure account, package or network. Runs the producer with
--dry-run, against a stand-in for the azure-eventhub package, and through the handler's own
reader (`entra-coralogix replay --dry-run`, when target/ holds a build); runs deploy.sh with
--dry-run and against a stand-in for the az command; runs shellcheck when it is installed.

Usage: python3 scripts/check_first_hour.py [-v]
"""

import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCER = os.path.join("scripts", "send-test-events.py")
DEPLOY = os.path.join("scripts", "deploy.sh")
EXAMPLE = os.path.join("examples", "entra-batch.json")
TEMPLATE = os.path.join("arm", "azuredeploy.json")
READMES = ("README.md", os.path.join("arm", "README.md"))
DEPLOYMENT_NAME = "entra-coralogix"
TENANT_DEPLOYMENT_NAME = "entra-to-coralogix"

# The fields the producer may change in a record (--now, --synthetic); nothing else.
TIME_PATHS = {
    ("time",),
    ("CreatedDateTime",),
    ("properties", "createdDateTime"),
    ("properties", "activityDateTime"),
    ("properties", "riskLastUpdatedDateTime"),
    ("properties", "timeGenerated"),
}
ID_PATHS = {
    ("properties", "id"),
    ("properties", "requestId"),
    ("properties", "correlationId"),
    ("correlationId",),
    ("CorrelationId",),
}

failures = []
verbose = "-v" in sys.argv[1:]


def check(ok, what):
    if ok:
        if verbose:
            print("  ok, checked for: %s" % what.split("\n")[0][:160])
    else:
        failures.append(what)
        print("  FAIL: %s" % what)
    return ok


def section(title):
    print("== %s" % title)


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def run(args, env=None, stdin=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("EVENTHUB_CONNECTION_STRING", None)
    full_env.pop("EVENTHUB_NAME", None)
    full_env.pop("CORALOGIX_PRIVATE_KEY", None)
    full_env.update(env or {})
    # A session of its own: no controlling terminal, so nothing can stop to ask for a key.
    return subprocess.run(
        args, cwd=REPO, env=full_env, input=stdin, capture_output=True, timeout=timeout,
        start_new_session=True,
    )


# ---------------------------------------------------------------------------------------------
# Markdown


def strip_fences(text):
    """The lines outside fenced code blocks (others replaced by empty lines, so that line
    numbers stay)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            out.append("")
        else:
            out.append(line)
    return out


def code_blocks(text):
    """(language, body) of each fenced code block."""
    blocks, lang, body, fence = [], None, [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)\s*(\S*)", line)
        if fence is None and m:
            fence, lang, body = m.group(1)[0] * 3, m.group(2), []
        elif fence is not None and line.strip().startswith(fence):
            blocks.append((lang, "\n".join(body)))
            fence = None
        elif fence is not None:
            body.append(line)
    return blocks


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # punctuation (\w keeps letters, digits, _)
    return text.replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    text = read(path)
    for line in strip_fences(text):
        m = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            found.add(base if n == 0 else "%s-%d" % (base, n))
            seen[base] = n + 1
        for m in re.finditer(r'<a\s+(?:name|id)="([^"]+)"', line):
            found.add(m.group(1))
    return found


def links(path):
    """(line number, target) of every Markdown link outside code."""
    out = []
    for n, line in enumerate(strip_fences(read(path)), 1):
        line = re.sub(r"`[^`]*`", "", line)
        for m in re.finditer(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            out.append((n, m.group(1)))
    return out


def check_links():
    section("README links: every #anchor is a heading, every relative file exists")
    for path in READMES:
        for n, target in links(path):
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto:
            file_part, _, anchor = target.partition("#")
            if file_part:
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                if not check(
                    os.path.exists(os.path.join(REPO, resolved)),
                    "%s:%d: link to %s: no such file" % (path, n, target),
                ):
                    continue
            else:
                resolved = path
            if anchor:
                if not resolved.endswith(".md"):
                    continue
                check(
                    anchor in anchors(resolved),
                    "%s:%d: link %s: %s has no heading with that anchor" % (path, n, target, resolved),
                )


# ---------------------------------------------------------------------------------------------
# The ignore file


def check_ignore():
    section(".gitignore: the local binary is ignored, the app's files are not")
    if not shutil.which("git") or run(["git", "rev-parse", "--git-dir"]).returncode != 0:
        print("  skipped: not a git checkout")
        return
    r = run(["git", "check-ignore", "-q", "--no-index", "entra-coralogix"])
    check(r.returncode == 0, "git check-ignore: ./entra-coralogix (copied by 'Run locally') is not ignored")
    for keep in ("host.json", "EventHubTrigger/function.json", "scripts/send-test-events.py",
                 "scripts/deploy.sh", "local.settings.json.example", "src/main.rs"):
        r = run(["git", "check-ignore", "-q", "--no-index", keep])
        check(r.returncode == 1, "git check-ignore: %s is ignored and should not be" % keep)
    r = run(["git", "check-ignore", "-q", "--no-index", "local.settings.json"])
    check(r.returncode == 0, "git check-ignore: local.settings.json (holds the key) is not ignored")


# ---------------------------------------------------------------------------------------------
# Shell commands in the READMEs


def shell_commands(text):
    """Every shell command in the text's code blocks and inline code, continuation lines
    joined, comments dropped."""
    cmds = []
    for lang, body in code_blocks(text):
        if lang not in ("", "sh", "bash", "shell", "console"):
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.split("\n"):
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                cmds.append(line)
    for line in strip_fences(text):
        for m in re.finditer(r"`([^`]+)`", line):
            cmds.append(m.group(1))
    return cmds


def option(words, *names):
    for i, w in enumerate(words):
        for name in names:
            if w == name and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(name + "="):
                return w[len(name) + 1 :]
    return None


def split(cmd):
    """The words of a command, up to a redirection (`> file`); `<placeholders>` are words."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    for i, w in enumerate(words):
        if re.match(r"^(\d?>>?|&>|\d?>&\d|<)", w) and not re.match(r"^<[^>]+>", w):
            return words[:i]
    return words


def check_deployment_names():
    section("One deployment name (%s) in README.md, arm/README.md and deploy.sh" % DEPLOYMENT_NAME)
    seen = 0
    for path in READMES:
        for cmd in shell_commands(read(path)):
            for m in re.finditer(r"az deployment (group|tenant) (create|show|what-if|validate)\b[^;&|)]*", cmd):
                words = split(m.group(0))
                name = option(words, "--name", "-n")
                scope, verb = m.group(1), m.group(2)
                if len(words) <= 4:
                    continue  # prose naming the command, such as "run `az deployment group create` again"
                expected = DEPLOYMENT_NAME if scope == "group" else TENANT_DEPLOYMENT_NAME
                elided = "..." in words or "…" in m.group(0)
                seen += 1
                if name is None and not elided:
                    check(False, "%s: `az deployment %s %s` without --name: %s" % (path, scope, verb, m.group(0)[:100]))
                elif name is not None:
                    check(name == expected, "%s: deployment named %r, not %r: %s" % (path, name, expected, m.group(0)[:100]))
    check(seen > 0, "no az deployment command found in the READMEs")
    m = re.search(r'^name="([^"]+)"', read(DEPLOY), re.M)
    check(m is not None and m.group(1) == DEPLOYMENT_NAME, "deploy.sh: the default deployment name is not %s" % DEPLOYMENT_NAME)


# ---------------------------------------------------------------------------------------------
# The producer

ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$")
US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))?$")


def time_shape(value):
    """What --now must keep of a time string: its pattern, fraction length, zone text and
    hour padding."""
    m = ISO.match(value)
    if m:
        return ("iso", len(m.group(7) or ""), m.group(8), value[10])
    m = US.match(value)
    if m:
        return ("us", bool(m.group(7)))
    return ("other", value)


def parse_time(value):
    m = ISO.match(value)
    if m:
        y, mo, d, h, mi, s, frac, zone = m.groups()
        t = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=dt.timezone.utc)
        if zone and zone not in ("Z", "z"):
            sign = -1 if zone[0] == "-" else 1
            z = zone[1:].replace(":", "")
            t -= sign * dt.timedelta(hours=int(z[:2]), minutes=int(z[2:]))
        return t
    m = US.match(value)
    if m:
        mo, d, y, h, mi, s, ampm = m.groups()
        h = int(h)
        if ampm:
            h = h % 12 + (12 if ampm.upper() == "PM" else 0)
        return dt.datetime(int(y), int(mo), int(d), h, int(mi), int(s), tzinfo=dt.timezone.utc)
    return None


def leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, path + (i,))
    else:
        yield path, value


def shape(value):
    """The record with every leaf replaced by its type: what --now and --synthetic keep."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def compare_record(got, want, where, now):
    """`got` must equal `want` except in the time and id fields, which must have changed,
    keep their format, and (times) be close to `now`."""
    ok = check(shape(got) == shape(want), "%s: the record's shape changed" % where)
    if not ok:
        return
    want_leaves = dict(leaves(want))
    for path, value in leaves(got):
        old = want_leaves[path]
        if path in TIME_PATHS:
            check(value != old, "%s: %s kept its old time %r" % (where, ".".join(path), old))
            check(time_shape(value) == time_shape(old),
                  "%s: %s %r is not in the format of %r" % (where, ".".join(path), value, old))
            hours = [ISO.match(v).group(4) for v in (old, value) if ISO.match(v)]
            check(len(hours) != 2 or len(hours[0]) == 1 or len(hours[1]) == 2,
                  "%s: %s %r lost the hour's leading zero of %r" % (where, ".".join(path), value, old))
            t = parse_time(value)
            check(t is not None and abs((t - now).total_seconds()) < 300,
                  "%s: %s %r is not the current time" % (where, ".".join(path), value))
        elif path in ID_PATHS:
            check(value != old, "%s: %s kept its old id %r" % (where, ".".join(path), old))
        else:
            check(value == old, "%s: %s changed from %r to %r" % (where, ".".join(map(str, path)), old, value))


def producer(*args, env=None, pythonpath=None):
    e = dict(env or {})
    if pythonpath:
        e["PYTHONPATH"] = pythonpath
    return run([sys.executable, PRODUCER] + list(args), env=e)


FAKE_EVENTHUB = r'''
import json, os
LOG = os.environ["FAKE_EVENTHUB_LOG"]
def _log(**kw):
    with open(LOG, "a") as f:
        f.write(json.dumps(kw) + "\n")
class EventData:
    def __init__(self, body):
        self.body_bytes = bytes(body)
class _Batch:
    def __init__(self):
        self.events = []
    def add(self, event):
        if len(event.body_bytes) > 1048576:
            raise ValueError("too large")
        self.events.append(event)
class EventHubProducerClient:
    def __init__(self, fully_qualified_namespace=None, eventhub_name=None, credential=None, **kw):
        _log(open="identity", namespace=fully_qualified_namespace, hub=eventhub_name,
             credential=type(credential).__name__)
    @classmethod
    def from_connection_string(cls, conn_str, **kw):
        _log(open="connection string", conn=conn_str, kw=kw)
        return cls.__new__(cls)
    def __enter__(self):
        return self
    def __exit__(self, *a):
        _log(closed=True)
    def create_batch(self):
        return _Batch()
    def send_batch(self, batch):
        for e in batch.events:
            _log(sent=e.body_bytes.decode("utf-8"), at=__import__("time").monotonic())
'''
FAKE_IDENTITY = "class DefaultAzureCredential:\n    pass\n"
POISON = 'raise SystemExit("azure.eventhub was imported")\n'


def fake_azure(root, eventhub_source):
    for pkg, source in (("eventhub", eventhub_source), ("identity", FAKE_IDENTITY)):
        d = os.path.join(root, "azure", pkg)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "__init__.py"), "w") as f:
            f.write(source)
    with open(os.path.join(root, "azure", "__init__.py"), "w") as f:
        f.write("")


def check_producer():
    section("Producer: %s" % PRODUCER)
    example = open(os.path.join(REPO, EXAMPLE), "rb").read()
    example_records = json.loads(example)["records"]

    r = producer("--help")
    help_text = r.stdout.decode()
    check(r.returncode == 0 and "pip install azure-eventhub azure-identity" in help_text,
          "--help fails or does not say which packages to install")

    bad = [
        (["--synthetic", "0", "--dry-run"], "--synthetic"),
        (["--synthetic", "x", "--dry-run"], "--synthetic"),
        (["--rate", "-1", "--dry-run"], "--rate"),
        (["--rate", "nan", "--dry-run"], "--rate"),
        (["--repeat", "0", "--dry-run"], "--repeat"),
        (["--records-per-event", "5", "--dry-run"], "--records-per-event"),
        (["--synthetic", "2", "--now", "--dry-run"], "--synthetic"),
        (["--connection-string", "Endpoint=sb://x/", "--namespace", "x"], "--namespace"),
        ([], "--connection-string"),
        (["--bogus"], "--bogus"),
    ]
    for args, named in bad:
        r = producer(*args)
        err = r.stderr.decode().strip().splitlines()
        check(r.returncode == 2 and err and named in err[-1],
              "%s: expected a usage error naming %s, got exit %d: %s"
              % (" ".join(args) or "(no arguments)", named, r.returncode, err[-1:] or ""))

    r = producer("--dry-run", "--file", "does-not-exist.json")
    check(r.returncode == 1 and r.stderr.decode().count("\n") == 1 and "does-not-exist.json" in r.stderr.decode(),
          "a missing --file is not one error line naming it")

    with tempfile.TemporaryDirectory() as tmp:
        # --dry-run never imports the Azure SDK: a poisoned azure.eventhub on the path is harmless.
        fake_azure(tmp, POISON)
        r = producer("--dry-run", pythonpath=tmp)
        check(r.returncode == 0, "--dry-run imports azure.eventhub: %s" % r.stderr.decode()[-200:])
        check(r.stdout == example + b"\n", "--dry-run: the body is not the example file byte for byte")

        r = producer("--dry-run", "--repeat", "3", pythonpath=tmp)
        check(r.stdout == (example + b"\n") * 3, "--dry-run --repeat 3: not three copies of the example file")

        r = producer("--dry-run", "--synthetic", "1", "--connection-string", "Endpoint=sb://x/;EntityPath=h", pythonpath=tmp)
        check(r.returncode == 0, "--dry-run with a connection string fails: %s" % r.stderr.decode()[-200:])

    # --now: the example, current times and fresh ids, nothing else changed.
    now = dt.datetime.now(dt.timezone.utc)
    r = producer("--dry-run", "--now")
    lines = r.stdout.split(b"\n")
    if check(r.returncode == 0 and len(lines) == 2 and lines[1] == b"", "--dry-run --now: not one body on one line"):
        body = json.loads(lines[0])
        check(lines[0] == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
              "--now: the body is not compact JSON, as a diagnostic setting writes it")
        check(list(body) == ["records"] and len(body["records"]) == len(example_records),
              "--now: not the example's records in a {\"records\": [...]} envelope")
        for i, (got, want) in enumerate(zip(body["records"], example_records)):
            compare_record(got, want, "--now record %d (%s)" % (i + 1, want.get("category") or want.get("Category")), now)
        changed = {p for rec in example_records for p in TIME_PATHS | ID_PATHS if _has(rec, p)}
        check(("time",) in changed and ("properties", "id") in changed, "--now: the example has no time or id to change")
        # Ids that were equal stay equal (the audit record's correlation id inside its id).
        for got in body["records"]:
            p = got.get("properties", {})
            if isinstance(p.get("id"), str) and "_" in p["id"] and got.get("correlationId"):
                check(got["correlationId"] in p["id"], "--now: the audit id no longer holds its correlation id")

    a = producer("--dry-run", "--now").stdout
    b = producer("--dry-run", "--now").stdout
    def ids(out):
        return [i for i in (r.get("properties", {}).get("id") for r in json.loads(out)["records"]) if i]

    check(set(ids(a)).isdisjoint(ids(b)) if a and b else False, "--now: two runs give the same ids")
    seeded = [ids(producer("--dry-run", "--now", "--seed", "5").stdout) for _ in range(2)]
    check(seeded[0] == seeded[1], "--seed: the same seed does not give the same ids")

    # --synthetic: N bodies of M records modelled on the example's categories.
    templates = [r for r in example_records if "category" in r]
    now = dt.datetime.now(dt.timezone.utc)
    r = producer("--dry-run", "--synthetic", "3", "--records-per-event", "25")
    lines = [l for l in r.stdout.split(b"\n") if l]
    if check(r.returncode == 0 and len(lines) == 3, "--synthetic 3: not three bodies"):
        k = 0
        all_ids = []
        for n, line in enumerate(lines):
            body = json.loads(line)
            check(list(body) == ["records"] and len(body["records"]) == 25, "--synthetic body %d: not 25 records" % (n + 1))
            check(line == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
                  "--synthetic body %d: not compact JSON" % (n + 1))
            for i, rec in enumerate(body["records"]):
                want = templates[k % len(templates)]
                k += 1
                compare_record(rec, want, "--synthetic body %d record %d (%s)" % (n + 1, i + 1, want["category"]), now)
                all_ids.append(rec.get("properties", {}).get("id") or rec.get("properties", {}).get("requestId"))
        check(len(all_ids) == len(set(all_ids)), "--synthetic: records share an id (Coralogix would see duplicates)")

    # Sending, against a stand-in for the azure-eventhub package: the same bytes as --dry-run,
    # the hub named as asked, the rate kept.
    with tempfile.TemporaryDirectory() as tmp:
        fake_azure(tmp, FAKE_EVENTHUB)
        logf = os.path.join(tmp, "log.jsonl")

        def sent(*args, env=None):
            if os.path.exists(logf):
                os.remove(logf)
            e = {"FAKE_EVENTHUB_LOG": logf}
            e.update(env or {})
            start = time.monotonic()
            r = producer(*args, env=e, pythonpath=tmp)
            took = time.monotonic() - start
            log = [json.loads(l) for l in open(logf)] if os.path.exists(logf) else []
            return r, log, took

        r, log, took = sent("--repeat", "4", "--rate", "10", "--connection-string",
                            "Endpoint=sb://ns.example/;SharedAccessKeyName=send;SharedAccessKey=SECRETKEYVALUE")
        bodies = [e["sent"].encode() for e in log if "sent" in e]
        check(r.returncode == 0 and bodies == [example] * 4,
              "send (stand-in SDK): the events sent are not the example file's bytes: %s" % r.stderr.decode()[-300:])
        opened = [e for e in log if "open" in e]
        check(opened and opened[0].get("kw") == {"eventhub_name": "entra-logs"},
              "send: without EntityPath or --eventhub the hub is not entra-logs: %s" % opened)
        check(took >= 0.3, "send: --rate 10 sent 4 events in %.2f s (expected >= 0.3 s)" % took)
        check(b"SECRETKEYVALUE" not in r.stderr + r.stdout, "send: the connection string's key is printed")

        r, log, _ = sent("--synthetic", "2", "--rate", "0",
                         env={"EVENTHUB_CONNECTION_STRING": "Endpoint=sb://ns.example/;SharedAccessKeyName=s;SharedAccessKey=k;EntityPath=hub2"})
        opened = [e for e in log if "open" in e]
        check(r.returncode == 0 and opened and opened[0].get("kw") == {},
              "send: a connection string with EntityPath is not used as it is: %s %s" % (opened, r.stderr.decode()[-200:]))
        check(len([e for e in log if "sent" in e]) == 2, "send: --synthetic 2 did not send 2 events")

        r, log, _ = sent("--namespace", "myns", "--eventhub", "logs")
        opened = [e for e in log if "open" in e]
        check(r.returncode == 0 and opened and opened[0] == {"open": "identity", "namespace": "myns.servicebus.windows.net",
                                                             "hub": "logs", "credential": "DefaultAzureCredential"},
              "send: --namespace myns --eventhub logs does not open myns.servicebus.windows.net/logs with DefaultAzureCredential: %s" % opened)

    # Without the SDK: one line saying what to install.
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "azure"))
        open(os.path.join(tmp, "azure", "__init__.py"), "w").close()  # an azure without eventhub
        r = producer("--namespace", "myns", pythonpath=tmp)
        if b"sending to" not in r.stderr:
            check(r.returncode == 1 and b"pip install azure-eventhub" in r.stderr,
                  "send without the SDK: no one-line 'pip install azure-eventhub' error: %s" % r.stderr.decode()[-200:])


def check_bodies_through_replay():
    section("Producer bodies through the handler's own reader (entra-coralogix replay --dry-run)")
    built = [b for b in (os.path.join("target", "release", "entra-coralogix"),
                         os.path.join("target", "debug", "entra-coralogix"))
             if os.access(os.path.join(REPO, b), os.X_OK)]
    # The newer of the two: an old release build must not stand in for the code of today.
    binary = max(built, key=lambda b: os.path.getmtime(os.path.join(REPO, b))) if built else None
    if binary is None:
        print("  skipped: no target/release or target/debug/entra-coralogix (cargo build first)")
        return
    categories = [r.get("category") for r in json.loads(read(EXAMPLE))["records"] if "category" in r]
    for args, records in ((["--now"], 10), (["--synthetic", "4", "--records-per-event", "30"], 120)):
        label = "send-test-events.py --dry-run %s | %s replay --dry-run -" % (" ".join(args), binary)
        bodies = producer("--dry-run", *args).stdout
        start = time.time()
        r = run([binary, "replay", "--dry-run", "-"], stdin=bodies)
        if not check(r.returncode == 0, "%s: exit %d: %s" % (label, r.returncode, r.stderr.decode()[-300:])):
            continue
        entries = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        check(len(entries) == records, "%s: %d entries for %d records" % (label, len(entries), records))
        subsystems = {e.get("subsystemName") for e in entries}
        check(subsystems <= set(categories) | {"ServicePrincipalSignInLogs"} and "Unparsed" not in subsystems,
              "%s: subsystems %s are not the example's categories" % (label, sorted(map(str, subsystems))))
        late = [e for e in entries if abs(e.get("timestamp", 0) / 1000 - start) > 300]
        check(not late, "%s: %d entries do not carry the current time (first: %s)" % (label, len(late), late[:1]))
        summary = dict(w.split("=", 1) for line in r.stderr.decode().splitlines() if "records=" in line
                       for w in line.split() if "=" in w)
        for counter in ("restamped", "untimed", "unparsed", "repaired"):
            check(summary.get(counter, "0") == "0",
                  "%s: the handler counted %s=%s" % (label, counter, summary.get(counter)))


def _has(record, path):
    node = record
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return isinstance(node, str)


def check_readme_commands():
    section("README: the producer and deploy.sh commands it shows parse (run with --dry-run)")
    found = 0
    for path in READMES:
        for cmd in shell_commands(read(path)):
            m = re.search(r"(?:python3 )?scripts/send-test-events\.py[^;&|]*", cmd)
            if m:
                words = split(m.group(0))
                words = words[1:] if words[0] == "python3" else words
                r = producer(*(words[1:] + ["--dry-run"]))
                found += 1
                check(r.returncode == 0, "%s: `%s` fails with --dry-run: %s" % (path, m.group(0), r.stderr.decode().strip()[-200:]))
            m = re.search(r"(?:bash )?scripts/deploy\.sh[^;&|]*", cmd)
            if m:
                words = split(m.group(0))
                words = words[1:] if words[0] == "bash" else words
                args = [a for a in words[1:] if a != "--dry-run"] + ["--dry-run"]
                if "--zip" in args:  # the README's zip need not exist here
                    args[args.index("--zip") + 1] = EXAMPLE
                r = run(["bash", DEPLOY] + args)
                found += 1
                check(r.returncode == 0, "%s: `%s` fails with --dry-run: %s" % (path, m.group(0), r.stderr.decode().strip()[-200:]))
    check(found > 0, "README.md shows no scripts/send-test-events.py or scripts/deploy.sh command")


def check_emulator_snippet():
    section("README: the Event Hubs emulator's Config.json matches local.settings.json")
    blocks = [json.loads(b) for lang, b in code_blocks(read("README.md")) if lang == "json" and "UserConfig" in b]
    if not check(len(blocks) == 1, "README.md: expected one Config.json block for the emulator"):
        return
    ns = blocks[0]["UserConfig"]["NamespaceConfig"]
    check(len(ns) == 1 and ns[0]["Type"] == "EventHub" and ns[0]["Name"] == "emulatorNs1",
          "Config.json: the emulator takes exactly one namespace, Type EventHub, Name emulatorNs1")
    check("LoggingConfig" in blocks[0]["UserConfig"], "Config.json: LoggingConfig is required")
    settings = json.loads(read("local.settings.json.example"))["Values"]
    text = read("README.md")
    hub_ok = cg_ok = False
    for entity in ns[0]["Entities"]:
        check(isinstance(entity.get("PartitionCount"), str), "Config.json: PartitionCount must be a string")
        groups = [g["Name"] for g in entity.get("ConsumerGroups", [])]
        check(all(g.lower() != "$default" for g in groups), "Config.json: $Default exists already and cannot be declared")
        hub_ok |= entity["Name"] == settings["EVENTHUB_NAME"]
        cg_ok |= any('"EVENTHUB_CONSUMER_GROUP": "%s"' % g in text for g in groups)
    check(hub_ok, "Config.json: no hub named %s (EVENTHUB_NAME in local.settings.json.example)" % settings["EVENTHUB_NAME"])
    check(cg_ok, "Config.json: its consumer group is not the EVENTHUB_CONSUMER_GROUP the README sets for the emulator")
    check("UseDevelopmentEmulator=true" in text, "README.md: no emulator connection string")


# ---------------------------------------------------------------------------------------------
# deploy.sh


def deploy_dry_run(*args):
    r = run(["bash", DEPLOY, "--dry-run"] + list(args))
    cmds = [shlex.split(l[2:]) for l in r.stdout.decode().splitlines() if l.startswith("+ ")]
    return r, cmds


def check_deploy():
    section("deploy.sh: shellcheck, and its dry-run az commands against %s" % TEMPLATE)
    if shutil.which("shellcheck"):
        r = run(["shellcheck", DEPLOY])
        check(r.returncode == 0, "shellcheck %s:\n%s" % (DEPLOY, r.stdout.decode()))
    else:
        print("  skipped shellcheck: not installed (apt-get install shellcheck)")

    template = json.loads(read(TEMPLATE))
    params = template["parameters"]
    outputs = template["outputs"]
    required = {n for n, p in params.items() if "defaultValue" not in p}
    variables = template["variables"]
    check(variables.get("deploymentContainerName") == "app-package" and variables.get("defaultPackageBlobName") == "entra-coralogix.zip",
          "the template's Premium package is no longer app-package/entra-coralogix.zip, which deploy.sh uploads")

    scenarios = [
        ((), {"hostingPlan": "FlexConsumption", "coralogixPrivateKeyMode": "write"}),
        (("--plan", "EP1", "--region", "US2"), {"hostingPlan": "EP1", "coralogixRegion": "US2"}),
        (("--key-mode", "keep"), {"coralogixPrivateKeyMode": "keep"}),
        (("--key-mode", "external", "--key-secret-uri", "https://v.vault.azure.net/secrets/cx"),
         {"coralogixPrivateKeyMode": "external", "coralogixPrivateKeySecretUri": "https://v.vault.azure.net/secrets/cx"}),
        (("--parameters-file", "arm/azuredeploy.parameters.json", "--key-vault-salt", "2", "-p", "functionAppName=my-app",
          "-p", "eventHubPartitionCount=8", "--download", "https://example.invalid/entra-coralogix.zip"),
         {"keyVaultNameSalt": "2", "functionAppName": "my-app", "eventHubPartitionCount": "8"}),
        (("-g", "rg-x", "-n", "other-name", "--zip", EXAMPLE), {}),
    ]
    for args, expect in scenarios:
        label = "deploy.sh --dry-run %s" % " ".join(args)
        r, cmds = deploy_dry_run(*args)
        if not check(r.returncode == 0, "%s: exit %d: %s" % (label, r.returncode, r.stderr.decode()[-300:])):
            continue
        check(all(c[0] in ("az", "mkdir", "curl", "scripts/package.sh", "python3") for c in cmds),
              "%s: runs something other than az and the packaging steps: %s" % (label, [c[0] for c in cmds]))
        creates = [c for c in cmds if c[:4] == ["az", "deployment", "group", "create"]]
        if not check(len(creates) == 1, "%s: not one az deployment group create" % label):
            continue
        c = creates[0]
        name = option(c, "--name", "-n")
        check(name == (option(list(args), "-n", "--name") or DEPLOYMENT_NAME), "%s: deployment named %r" % (label, name))
        check(option(c, "--template-file", "-f") == TEMPLATE.replace(os.sep, "/"), "%s: not the template %s" % (label, TEMPLATE))
        given = {}
        for i, w in enumerate(c):
            if w not in ("--parameters", "-p"):
                continue
            for value in c[i + 1 :]:
                if value.startswith("-"):
                    break
                if value.startswith("@<"):
                    m = re.match(r"@<0600 temp file holding (\w+)>$", value)
                    check(m is not None, "%s: unreadable secret file token %s" % (label, value))
                    if m:
                        given[m.group(1)] = "<secret>"
                elif value.startswith("@"):
                    f = json.loads(read(value[1:]))
                    given.update({k: v["value"] for k, v in f.get("parameters", f).items()})
                else:
                    k, eq, v = value.partition("=")
                    check(eq == "=", "%s: parameter %r is not NAME=VALUE" % (label, value))
                    given[k] = v
        for k, v in given.items():
            if not check(k in params, "%s: passes %s, which arm/azuredeploy.json does not have" % (label, k)):
                continue
            allowed = params[k].get("allowedValues")
            check(allowed is None or v in allowed or str(v) in [str(a) for a in allowed],
                  "%s: %s=%r is not one of %s" % (label, k, v, allowed))
        for k in required:
            check(k in given, "%s: does not pass the required parameter %s" % (label, k))
        for k, v in expect.items():
            check(str(given.get(k)) == v, "%s: %s is %r, expected %r" % (label, k, given.get(k), v))
        mode = given.get("coralogixPrivateKeyMode", params["coralogixPrivateKeyMode"]["defaultValue"])
        check((given.get("coralogixPrivateKey") == "<secret>") == (mode == "write"),
              "%s: key mode %s but coralogixPrivateKey %s" % (label, mode, "given" if "coralogixPrivateKey" in given else "missing"))
        check(bool(given.get("coralogixPrivateKeySecretUri")) == (mode == "external"),
              "%s: key mode %s and coralogixPrivateKeySecretUri do not fit" % (label, mode))
        check(not any(w.startswith("coralogixPrivateKey=") for cmd in cmds for w in cmd),
              "%s: the key is put on a command line" % label)
        # Every output it reads exists.
        for cmd in cmds:
            q = option(cmd, "--query")
            if cmd[:4] == ["az", "deployment", "group", "show"] and q and q.startswith("properties.outputs."):
                out = q.split(".")[2]
                check(out in outputs, "%s: reads output %s, which the template does not have" % (label, out))
        # The steps: group, template, code, diagnostic-setting command, app check.
        flat = [" ".join(x) for x in cmds]
        plan = given.get("hostingPlan", "FlexConsumption")
        order = ["az group exists", "az group create", "az deployment group create"]
        if plan == "FlexConsumption":
            order += ["az functionapp deployment source config-zip"]
        else:
            order += ["az role assignment create", "az storage blob upload", "az functionapp restart", "syncfunctiontriggers"]
        order += ["diagnosticSettingCommand", "az functionapp show", "az functionapp function list"]
        pos = -1
        for step in order:
            hits = [i for i, f in enumerate(flat) if step in f and i > pos]
            if check(hits, "%s: no `%s` (after the previous step)" % (label, step)):
                pos = hits[0]
        if plan != "FlexConsumption":
            up = next(cmd for cmd in cmds if cmd[:4] == ["az", "storage", "blob", "upload"])
            check(option(up, "--container-name", "-c") == "app-package" and option(up, "--name", "-n") == "entra-coralogix.zip"
                  and "--auth-mode" in up, "%s: the Premium upload is not app-package/entra-coralogix.zip with --auth-mode login" % label)

    for args, named in (
        (("--plan", "EP9"), "--plan"),
        (("--key-mode", "external"), "--key-secret-uri"),
        (("-p", "coralogixPrivateKey=abc"), "coralogixPrivateKey"),
        (("-p", "novalue"), "--parameter"),
        (("--zip", "nope.zip"), "nope.zip"),
        (("--what",), "--what"),
    ):
        r = run(["bash", DEPLOY, "--dry-run"] + list(args))
        err = r.stderr.decode().strip().splitlines()
        check(r.returncode != 0 and err and named in err[-1] and not r.stdout.strip().startswith(b"+"),
              "deploy.sh %s: expected one error line naming %s before any command, got exit %d: %s"
              % (" ".join(args), named, r.returncode, err[-1:]))


FAKE_AZ = r'''#!/usr/bin/env python3
# A stand-in for the Azure CLI: logs each call, answers what deploy.sh asks.
import json, os, stat, sys
state_path = os.environ["FAKE_AZ_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {"group": False, "deployment": None, "calls": []}
argv = sys.argv[1:]
call = {"argv": argv}
def has(*words):
    return all(w in argv for w in words)
def query():
    return argv[argv.index("--query") + 1] if "--query" in argv else ""
out, code = "", 0
if argv[:3] == ["deployment", "group", "create"]:
    params = {}
    for i, w in enumerate(argv):
        if w == "--parameters":
            for v in argv[i + 1:]:
                if v.startswith("-"):
                    break
                if v.startswith("@"):
                    mode = stat.S_IMODE(os.stat(v[1:]).st_mode)
                    f = json.load(open(v[1:]))
                    for k, p in f.get("parameters", f).items():
                        params[k] = p["value"]
                    call["file"] = {"path": v[1:], "mode": oct(mode)}
                else:
                    k, _, val = v.partition("=")
                    params[k] = val
    call["params"] = params
    state["deployment"] = params
elif argv[:3] == ["deployment", "group", "show"]:
    q = query()
    d = state["deployment"]
    if d is None:
        sys.stderr.write("ERROR: (DeploymentNotFound)\n")
        code = 3
    elif q.startswith("{state: properties.provisioningState"):
        out = json.dumps({"state": "Succeeded", "parameters": {
            k: ({"type": "SecureString"} if k == "coralogixPrivateKey" else {"type": "String", "value": v})
            for k, v in d.items()}})
    else:
        out = {"functionAppName": "app1", "functionAppResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
               "storageAccountName": "st1", "diagnosticSettingCommand": "az deployment tenant create --name entra-to-coralogix ...",
               "eventHubNamespace": "ns1", "eventHubName": "entra-logs"}[q.split(".")[2]]
elif argv[:2] == ["account", "show"]:
    out = "user" if "user.type" in query() else "00000000-0000-0000-0000-000000000000"
elif argv[:2] == ["group", "exists"]:
    out = "true" if state["group"] else "false"
elif argv[:2] == ["group", "create"]:
    state["group"] = True
elif has("functionapp", "show"):
    out = "Running"
elif has("functionapp", "function", "list"):
    out = "app1/EventHubTrigger"
elif has("rest", "get"):
    out = "Resolved"
elif has("ad", "signed-in-user", "show"):
    out = "11111111-1111-1111-1111-111111111111"
elif has("storage", "account", "show"):
    out = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
elif has("role", "assignment", "list"):
    out = "0"
state["calls"].append(call)
json.dump(state, open(state_path, "w"))
if out and argv[-2:] != ["-o", "none"]:
    print(out)
sys.exit(code)
'''


def check_deploy_with_fake_az():
    section("deploy.sh, run for real against a stand-in az: key handling, idempotence")
    key = "CX-TEST-KEY-d41d8cd98f00"
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        for name, source in (("az", FAKE_AZ), ("uname", "#!/bin/sh\necho Darwin arm64\n")):
            path = os.path.join(bin_dir, name)
            with open(path, "w") as f:
                f.write(source)
            os.chmod(path, 0o755)
        state_path = os.path.join(tmp, "state.json")
        env = {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "FAKE_AZ_STATE": state_path, "TMPDIR": tmp}

        def deploy(*args, key_env=None):
            e = dict(env)
            if key_env:
                e["CORALOGIX_PRIVATE_KEY"] = key_env
            r = run(["bash", DEPLOY, "--zip", EXAMPLE] + list(args), env=e, stdin=b"")
            st = json.load(open(state_path))
            calls, st["calls"] = st["calls"], []
            json.dump(st, open(state_path, "w"))
            return r, calls

        r, calls = deploy(key_env=key)
        text = (r.stdout + r.stderr).decode()
        if not check(r.returncode == 0, "first deployment: exit %d: %s" % (r.returncode, text[-400:])):
            return
        creates = [c for c in calls if c["argv"][:3] == ["deployment", "group", "create"]]
        check(len(creates) == 1 and creates[0]["params"].get("coralogixPrivateKey") == key
              and creates[0]["params"].get("coralogixPrivateKeyMode") == "write",
              "first deployment: the key did not reach the template in write mode")
        check(creates and creates[0].get("file", {}).get("mode") == "0o600",
              "first deployment: the key file is not readable by its owner only: %s" % creates[:1])
        check(creates and not os.path.exists(creates[0].get("file", {}).get("path", "")),
              "first deployment: the key file is left behind")
        check(key not in text and not any(key in " ".join(c["argv"]) for c in calls),
              "first deployment: the key is printed or put on a command line")
        check([c["argv"][:2] for c in calls if c["argv"][:2] == ["group", "create"]] == [["group", "create"]],
              "first deployment: the resource group is not created")
        check(any(c["argv"][:4] == ["functionapp", "deployment", "source", "config-zip"] for c in calls),
              "first deployment: the package is not pushed with config-zip")
        check("az deployment tenant create" in text, "first deployment: the diagnostic-setting command is not printed")
        echoed = [l[2:] for l in r.stdout.decode().splitlines() if l.startswith("+ az ")]
        check(len(echoed) == len(calls) - 1,  # the login check (az account show) is not echoed
              "first deployment: %d az calls but %d echoed" % (len(calls), len(echoed)))

        os.remove(state_path)  # a first deployment without a key and without a terminal
        r, calls = deploy()
        err = r.stderr.decode().strip().splitlines()
        check(r.returncode == 1 and err and "CORALOGIX_PRIVATE_KEY" in err[-1] and not any(
            c["argv"][1:2] == ["create"] or c["argv"][2:3] == ["create"] for c in calls),
            "without a key or a terminal: not one error line before anything is created: %s" % err[-1:])
        r, calls = deploy(key_env=key)

        r, calls = deploy()  # again, no key given: keeps the key, creates nothing new
        text = (r.stdout + r.stderr).decode()
        if not check(r.returncode == 0, "second deployment: exit %d: %s" % (r.returncode, text[-400:])):
            return
        creates = [c for c in calls if c["argv"][:3] == ["deployment", "group", "create"]]
        check(len(creates) == 1 and creates[0]["params"].get("coralogixPrivateKeyMode") == "keep"
              and "coralogixPrivateKey" not in creates[0]["params"],
              "second deployment: not coralogixPrivateKeyMode=keep without a key: %s" % creates[:1])
        check(not any(c["argv"][:2] == ["group", "create"] for c in calls), "second deployment: creates the group again")

        def last_params(*args):
            r, calls = deploy(*args)
            creates = [c for c in calls if c["argv"][:3] == ["deployment", "group", "create"]]
            check(r.returncode == 0 and len(creates) == 1,
                  "deploy.sh %s: exit %d: %s" % (" ".join(args), r.returncode, (r.stdout + r.stderr).decode()[-300:]))
            return creates[0]["params"] if creates else {}

        last_params("--key-vault-salt", "2", "--region", "US2", "-p", "functionAppName=my-app", "-p", "dropCategories=RiskyUsers")
        p = last_params()  # what the earlier deployment set stays
        check(p.get("keyVaultNameSalt") == "2" and p.get("coralogixRegion") == "US2" and p.get("functionAppName") == "my-app"
              and p.get("dropCategories") == "RiskyUsers" and p.get("coralogixPrivateKeyMode") == "keep",
              "a second run does not keep the earlier deployment's parameters: %s" % p)
        last_params("--key-mode", "external", "--key-secret-uri", "https://v.vault.azure.net/secrets/cx")
        p = last_params()
        check(p.get("coralogixPrivateKeyMode") == "external" and p.get("coralogixPrivateKeySecretUri") == "https://v.vault.azure.net/secrets/cx",
              "after an external key, a second run does not keep it: %s" % p)
        p = last_params("--key-mode", "keep")
        check(p.get("coralogixPrivateKeyMode") == "keep" and p.get("coralogixPrivateKeySecretUri") == "",
              "from external back to keep, the secret URI is not cleared: %s" % p)

    with tempfile.TemporaryDirectory() as tmp:  # Premium, first deployment
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        for name, source in (("az", FAKE_AZ), ("uname", "#!/bin/sh\necho Darwin arm64\n")):
            path = os.path.join(bin_dir, name)
            with open(path, "w") as f:
                f.write(source)
            os.chmod(path, 0o755)
        env = {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "FAKE_AZ_STATE": os.path.join(tmp, "s.json"),
               "TMPDIR": tmp, "CORALOGIX_PRIVATE_KEY": key}
        r = run(["bash", DEPLOY, "--zip", EXAMPLE, "--plan", "EP1"], env=env, stdin=b"")
        calls = json.load(open(env["FAKE_AZ_STATE"]))["calls"]
        verbs = [" ".join(c["argv"][:3]) for c in calls]
        check(r.returncode == 0 and verbs.index("role assignment create") < verbs.index("storage blob upload")
              < verbs.index("functionapp restart --resource-group"),
              "Premium: not deploy, role, upload, restart: %s %s" % (verbs, (r.stdout + r.stderr).decode()[-300:]))


def main():
    os.chdir(REPO)
    check_ignore()
    check_links()
    check_deployment_names()
    check_producer()
    check_bodies_through_replay()
    check_readme_commands()
    check_emulator_snippet()
    check_deploy()
    check_deploy_with_fake_az()
    if failures:
        print("check_first_hour: %d failure(s)" % len(failures))
        return 1
    print("check_first_hour: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
