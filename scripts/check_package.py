#!/usr/bin/env python3
"""Checks the deployable zip: layout, executable bit, glibc symbol versions, size, and that
the binary starts. Usage: scripts/check_package.py dist/entra-coralogix.zip"""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile

MAX_GLIBC = (2, 31)  # Debian bullseye, the oldest Azure Functions Linux image
MAX_BINARY_BYTES = 15 * 1024 * 1024
NAME = "entra-coralogix"
EXPECTED = {"host.json", "EventHubTrigger/function.json", NAME}


def fail(msg):
    print(f"check_package: FAIL: {msg}")
    sys.exit(1)


def main(path):
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if names != EXPECTED:
            fail(f"zip holds {sorted(names)}, expected {sorted(EXPECTED)}")
        mode = z.getinfo(NAME).external_attr >> 16
        if not mode & stat.S_IXUSR:
            fail(f"{NAME} has no executable bit (mode {oct(mode)})")
        host = json.loads(z.read("host.json"))
        exe = host["customHandler"]["description"]["defaultExecutablePath"]
        if exe != NAME:
            fail(f"host.json runs {exe!r}, the zip holds {NAME!r}")
        function = json.loads(z.read("EventHubTrigger/function.json"))
        trigger = [b for b in function["bindings"] if b["type"] == "eventHubTrigger"]
        if len(trigger) != 1 or trigger[0]["name"] != "events":
            fail("function.json must have one eventHubTrigger named 'events'")
        with tempfile.TemporaryDirectory() as tmp:
            z.extractall(tmp)
            binary = os.path.join(tmp, NAME)
            os.chmod(binary, mode & 0o777)
            size = os.path.getsize(binary)
            if size > MAX_BINARY_BYTES:
                fail(f"binary is {size} bytes, over {MAX_BINARY_BYTES}")
            symbols = subprocess.run(["objdump", "-T", binary], capture_output=True, text=True, check=True).stdout
            versions = sorted({tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", symbols)})
            if not versions:
                fail("no GLIBC symbol versions found (is objdump working?)")
            newest = versions[-1]
            if newest > MAX_GLIBC:
                fail(f"binary needs GLIBC_{'.'.join(map(str, newest))}, above {'.'.join(map(str, MAX_GLIBC))}")
            run = subprocess.run([binary, "--version"], capture_output=True, text=True)
            if run.returncode != 0 or NAME not in run.stdout:
                fail(f"binary does not start: {run.stdout!r} {run.stderr!r}")
    print(
        f"check_package: OK: {sorted(names)}, {NAME} executable, {size / 1e6:.1f} MB, "
        f"needs GLIBC_{'.'.join(map(str, newest))} at most, runs ({run.stdout.strip()})"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
