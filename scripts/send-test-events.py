#!/usr/bin/env python3
"""Send Entra ID diagnostic-setting events to an Event Hub, to watch entra-coralogix ship them.

Each event body is what an Entra diagnostic setting writes to the hub: one JSON object
{"records": [...]} holding a batch of log records.

  * Default: examples/entra-batch.json, sent byte for byte as one event (--repeat N sends it
    N times).
  * --now: the file's records with the current time in every time field (in the field's own
    format) and fresh ids, so Coralogix shows them under "last 15 minutes" and never as
    duplicates of an earlier send. The body is then compact JSON, as a diagnostic setting
    writes it.
  * --synthetic N: N events of --records-per-event records each, shaped like the example's
    records (one category after the other), with the current time and fresh ids.

Authentication: --connection-string (or EVENTHUB_CONNECTION_STRING), a connection string with
Send rights (the Event Hubs emulator's works too), or --namespace <name>.servicebus.windows.net
with your Azure CLI login (az login) or any other identity DefaultAzureCredential finds; that
identity needs the "Azure Event Hubs Data Sender" role on the hub or namespace.

Needs Python 3.8+ and, except for --dry-run, the Azure SDK:
    pip install azure-eventhub azure-identity
(azure-identity only for --namespace). --dry-run prints the event bodies instead, each
followed by a newline, and sends nothing; it needs no Azure package.
"""

import argparse
import copy
import datetime as dt
import json
import os
import random
import re
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "entra-batch.json")
DEFAULT_HUB = "entra-logs"
# A Standard namespace takes events up to 1 MB (Basic: 256 KB).
MAX_EVENT_BYTES = 1024 * 1024

# The fields --now and --synthetic set to the current time: the ones entra-coralogix reads a
# record's time from (time, properties.createdDateTime, properties.activityDateTime,
# CreatedDateTime), and two per-category event times of the example's records.
TIME_FIELDS = (
    ("time",),
    ("CreatedDateTime",),
    ("properties", "createdDateTime"),
    ("properties", "activityDateTime"),
    ("properties", "riskLastUpdatedDateTime"),
    ("properties", "timeGenerated"),
)
# The fields given fresh ids: properties.id (or properties.requestId for Graph activity) is
# the entry's stable id in Coralogix (threadId); the correlation ids follow, so that a record
# stays consistent with itself.
ID_FIELDS = (
    ("properties", "id"),
    ("properties", "requestId"),
    ("properties", "correlationId"),
    ("correlationId",),
    ("CorrelationId",),
)

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})([T ])(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$"
)
US_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))?$")


class Fail(Exception):
    """A one-line error for the user."""


# ---------------------------------------------------------------------------------------------
# Times and ids


def _zone(text):
    """The tzinfo of an ISO zone suffix (None for no suffix: read as UTC)."""
    if not text or text in ("Z", "z"):
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def format_like(original, now_ns):
    """`now_ns` (ns since the epoch) written in the format of the time string `original`, or
    None when the format is not one Entra writes."""
    seconds, nanos = divmod(now_ns, 1_000_000_000)
    utc = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    m = ISO_RE.match(original)
    if m:
        _, _, _, sep, hour, _, _, frac, zone = m.groups()
        t = utc.astimezone(_zone(zone))
        hh = str(t.hour) if len(hour) == 1 else "%02d" % t.hour
        out = "%04d-%02d-%02d%s%s:%02d:%02d" % (t.year, t.month, t.day, sep, hh, t.minute, t.second)
        if frac is not None:
            digits = "%09d" % nanos
            out += "." + (digits[: len(frac)] if len(frac) <= 9 else digits + "0" * (len(frac) - 9))
        return out + (zone or "")
    m = US_RE.match(original)
    if m:
        ampm = m.group(7)
        t = utc
        if ampm:  # M/d/yyyy h:mm:ss AM/PM
            hour12 = t.hour % 12 or 12
            marker = "AM" if t.hour < 12 else "PM"
            if ampm.islower():
                marker = marker.lower()
            sep = " " if " " in original[original.rfind(":") :] else ""
            return "%d/%d/%04d %d:%02d:%02d%s%s" % (
                t.month, t.day, t.year, hour12, t.minute, t.second, sep, marker
            )
        return "%02d/%02d/%04d %02d:%02d:%02d" % (t.month, t.day, t.year, t.hour, t.minute, t.second)
    return None


def _get(record, path):
    node = record
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
        return node
    return None


def refresh(record, now_ns, rng, where):
    """Set the record's time fields to `now_ns` and give it fresh ids, in place."""
    for path in TIME_FIELDS:
        node = _get(record, path)
        if node is None:
            continue
        new = format_like(node[path[-1]], now_ns)
        if new is None:
            print(
                "send-test-events: warning: %s: %s %r is not a time format this script rewrites;"
                " left as it is" % (where, ".".join(path), node[path[-1]]),
                file=sys.stderr,
            )
        else:
            node[path[-1]] = new
    # One new id per old one, so that ids that were equal (a correlation id inside an audit
    # id) stay equal.
    mapping = {}

    def fresh(old):
        if old.lower() not in mapping:
            new = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            mapping[old.lower()] = new.upper() if old.isupper() else new
        return mapping[old.lower()]

    for path in ID_FIELDS:
        node = _get(record, path)
        if node is None:
            continue
        value = node[path[-1]]
        if UUID_RE.search(value):
            node[path[-1]] = UUID_RE.sub(lambda m: fresh(m.group(0)), value)
        else:
            node[path[-1]] = fresh(value)


def compact(envelope):
    """The body as a diagnostic setting writes it: compact JSON, UTF-8."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Event bodies


def load_records(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Fail("cannot read %s: %s" % (path, e.strerror or e))
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Fail("%s is not JSON: %s" % (path, e))
    if not isinstance(envelope, dict) or not isinstance(envelope.get("records"), list):
        raise Fail('%s is not a diagnostic-setting body ({"records": [...]})' % path)
    if not envelope["records"]:
        raise Fail("%s has no records" % path)
    return raw, envelope


def bodies(args, rng, clock=time.time_ns):
    """Yield (body bytes, record count), each built just before it is sent, so that --now
    times are the times of sending."""
    raw, envelope = load_records(args.file)
    if args.synthetic is None:
        for n in range(args.repeat):
            if not args.now:
                yield raw, len(envelope["records"])
                continue
            copy_ = copy.deepcopy(envelope)
            now = clock()
            for i, record in enumerate(copy_["records"]):
                if isinstance(record, dict):
                    refresh(record, now, rng, "event %d record %d" % (n + 1, i + 1))
            yield compact(copy_), len(copy_["records"])
        return
    templates = [r for r in envelope["records"] if isinstance(r, dict) and "category" in r]
    if not templates:
        raise Fail("%s has no record with a category to model synthetic records on" % args.file)
    k = 0
    for n in range(args.synthetic):
        now = clock()
        records = []
        for i in range(args.records_per_event):
            record = copy.deepcopy(templates[k % len(templates)])
            k += 1
            refresh(record, now, rng, "synthetic event %d record %d" % (n + 1, i + 1))
            records.append(record)
        yield compact({"records": records}), len(records)


# ---------------------------------------------------------------------------------------------
# Sending


def namespace_fqdn(value):
    v = value.strip()
    for prefix in ("sb://", "amqps://", "https://"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    v = v.rstrip("/")
    return v if "." in v else v + ".servicebus.windows.net"


def connection_entity(conn):
    for part in conn.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "entitypath" and value.strip():
            return value.strip()
    return None


def connection_endpoint(conn):
    for part in conn.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "endpoint":
            return value.strip()
    return "?"


def open_producer(args):
    try:
        from azure.eventhub import EventHubProducerClient  # noqa: PLC0415 (lazy on purpose)
    except ImportError:
        raise Fail("the Azure SDK is missing: pip install azure-eventhub azure-identity")
    if args.connection_string:
        entity = connection_entity(args.connection_string)
        hub = args.eventhub or entity or DEFAULT_HUB
        where = "%s hub %s (connection string)" % (connection_endpoint(args.connection_string), hub)
        kwargs = {} if (entity and not args.eventhub) else {"eventhub_name": hub}
        try:
            client = EventHubProducerClient.from_connection_string(args.connection_string, **kwargs)
        except ValueError as e:
            raise Fail("EVENTHUB_CONNECTION_STRING / --connection-string: %s" % e)
        return client, where
    try:
        from azure.identity import DefaultAzureCredential  # noqa: PLC0415
    except ImportError:
        raise Fail("--namespace needs azure-identity: pip install azure-identity")
    fqdn = namespace_fqdn(args.namespace)
    hub = args.eventhub or DEFAULT_HUB
    client = EventHubProducerClient(
        fully_qualified_namespace=fqdn, eventhub_name=hub, credential=DefaultAzureCredential()
    )
    return client, "%s hub %s (identity from az login / DefaultAzureCredential)" % (fqdn, hub)


def send(args, events):
    client, where = open_producer(args)
    from azure.eventhub import EventData  # noqa: PLC0415 (open_producer checked it is there)

    print("send-test-events: sending to %s" % where, file=sys.stderr)
    total_events = total_records = total_bytes = 0
    start = time.monotonic()
    try:
        with client:
            for body, records in events:
                if args.rate > 0:
                    due = start + total_events / args.rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                batch = client.create_batch()
                try:
                    batch.add(EventData(body))
                except ValueError:
                    raise Fail(
                        "event %d is %d bytes, more than the hub accepts in one event;"
                        " send fewer --records-per-event" % (total_events + 1, len(body))
                    )
                client.send_batch(batch)
                total_events += 1
                total_records += records
                total_bytes += len(body)
                print(
                    "send-test-events: sent event %d (%d records, %d bytes)"
                    % (total_events, records, len(body)),
                    file=sys.stderr,
                )
    except Fail:
        raise
    except Exception as e:  # the SDK's errors carry their own explanation
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise Fail(
            "sending failed after %d events: %s: %s" % (total_events, type(e).__name__, first)
        )
    print(
        "send-test-events: done: %d events, %d records, %d bytes in %.1f s"
        % (total_events, total_records, total_bytes, time.monotonic() - start),
        file=sys.stderr,
    )


def dry_run(events, out):
    n = r = b = 0
    for body, records in events:
        if len(body) > MAX_EVENT_BYTES:
            print(
                "send-test-events: warning: event %d is %d bytes, more than a Standard hub"
                " accepts (1 MB)" % (n + 1, len(body)),
                file=sys.stderr,
            )
        out.write(body)
        out.write(b"\n")
        n, r, b = n + 1, r + records, b + len(body)
    out.flush()
    print(
        "send-test-events: dry run: %d events, %d records, %d bytes; nothing sent" % (n, r, b),
        file=sys.stderr,
    )


# ---------------------------------------------------------------------------------------------
# Command line


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be 1 or more, not %d" % v)
    return v


def rate(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text)
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more, not %s" % text)
    return v


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="send-test-events.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  %(prog)s --dry-run --now | head -c 300
  %(prog)s --namespace mynamespace.servicebus.windows.net --eventhub entra-logs --now
  %(prog)s --connection-string "$CS" --synthetic 100 --records-per-event 50 --rate 5
""",
    )
    what = p.add_argument_group("what to send")
    what.add_argument(
        "--file",
        default=EXAMPLE,
        help="a diagnostic-setting body {\"records\": [...]} to send"
        " (default: examples/entra-batch.json of this repository)",
    )
    what.add_argument(
        "--repeat", type=positive_int, default=1, metavar="N", help="send the file N times (default 1)"
    )
    what.add_argument(
        "--now",
        action="store_true",
        help="send the file's records with the current time in their time fields and fresh ids"
        " (compact JSON) instead of its bytes as they are",
    )
    what.add_argument(
        "--synthetic",
        type=positive_int,
        metavar="N",
        help="send N synthetic events instead, records shaped like the file's (current time, fresh ids)",
    )
    what.add_argument(
        "--records-per-event",
        type=positive_int,
        metavar="M",
        help="records in each synthetic event (default 10)",
    )
    what.add_argument(
        "--rate",
        type=rate,
        default=10.0,
        metavar="EVENTS_PER_SECOND",
        help="events sent per second, at most (default 10; 0: as fast as possible)",
    )
    what.add_argument(
        "--seed", type=int, help="seed the fresh ids, for reproducible bodies (default: random)"
    )
    where = p.add_argument_group("where to send (one of)")
    where.add_argument(
        "--connection-string",
        default=None,
        metavar="CS",
        help="a connection string with Send rights (default: $EVENTHUB_CONNECTION_STRING)",
    )
    where.add_argument(
        "--namespace",
        metavar="FQDN",
        help="<name>.servicebus.windows.net, reached with your az login identity"
        " (needs the Azure Event Hubs Data Sender role)",
    )
    where.add_argument(
        "--eventhub",
        metavar="NAME",
        default=os.environ.get("EVENTHUB_NAME") or None,
        help="the hub (default: $EVENTHUB_NAME, else the connection string's EntityPath, else %s)"
        % DEFAULT_HUB,
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="write the event bodies to stdout, each followed by a newline, and send nothing"
        " (--now and --synthetic bodies are one line each; the file is written as it is)",
    )
    args = p.parse_args(argv)

    if args.synthetic is None:
        if args.records_per_event is not None:
            p.error("--records-per-event goes with --synthetic")
    else:
        if args.repeat != 1 or args.now:
            p.error("--synthetic events always have the current time; --repeat and --now are for --file")
        if args.records_per_event is None:
            args.records_per_event = 10
    if args.connection_string is None and args.namespace is None:
        args.connection_string = os.environ.get("EVENTHUB_CONNECTION_STRING") or None
    if args.connection_string and args.namespace:
        p.error("give either --connection-string (or EVENTHUB_CONNECTION_STRING) or --namespace, not both")
    if not args.dry_run and not (args.connection_string or args.namespace):
        p.error(
            "where to send: --connection-string (or EVENTHUB_CONNECTION_STRING) or --namespace;"
            " or --dry-run to print the bodies"
        )
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rng = random.Random(args.seed)
    try:
        events = bodies(args, rng)
        if args.dry_run:
            dry_run(events, sys.stdout.buffer)
        else:
            send(args, events)
    except Fail as e:
        print("send-test-events: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("send-test-events: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `--dry-run | head`: the reader has what it wanted; keep Python quiet at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
