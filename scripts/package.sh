#!/usr/bin/env bash
# Builds the deployable package: dist/entra-coralogix.zip with host.json,
# EventHubTrigger/function.json and the release binary (executable bit kept).
#
# The binary is linked against glibc 2.31 (GLIBC=2.31 by default) with cargo-zigbuild, so it
# runs on every Azure Functions Linux image (Debian bullseye: glibc 2.31; bookworm: 2.36).
# Needs: cargo-zigbuild (`cargo install --locked cargo-zigbuild`) and zig
# (`pip install ziglang`; cargo-zigbuild finds it through `python3 -m ziglang`).
set -euo pipefail
cd "$(dirname "$0")/.."

glibc="${GLIBC:-2.31}"
target="x86_64-unknown-linux-gnu"
name="entra-coralogix"
out="dist/${name}.zip"

if ! command -v cargo-zigbuild >/dev/null 2>&1; then
  echo "package.sh: cargo-zigbuild is missing: cargo install --locked cargo-zigbuild" >&2
  exit 1
fi
if ! command -v zig >/dev/null 2>&1 && ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "package.sh: zig is missing: pip install ziglang" >&2
  exit 1
fi

cargo zigbuild --release --locked --target "${target}.${glibc}" --bin "$name"
binary="target/${target}/release/${name}"

mkdir -p dist
rm -f "$out"
python3 - "$out" "$binary" "$name" <<'PY'
import sys, zipfile

out, binary, name = sys.argv[1:4]
# Fixed timestamps make the zip reproducible; Unix modes keep the executable bit (a zip made
# without them loses it, and the host does not chmod the handler).
stamp = (2020, 1, 1, 0, 0, 0)
files = [
    ("host.json", "host.json", 0o644),
    ("EventHubTrigger/function.json", "EventHubTrigger/function.json", 0o644),
    (binary, name, 0o755),
]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for source, arcname, mode in files:
        info = zipfile.ZipInfo(arcname, date_time=stamp)
        info.external_attr = (0o100000 | mode) << 16
        info.create_system = 3  # Unix
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(source, "rb") as f:
            z.writestr(info, f.read())
PY
echo "wrote $out ($(du -h "$out" | cut -f1)); binary $(du -h "$binary" | cut -f1), linked for glibc ${glibc}"
