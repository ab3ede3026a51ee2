#!/usr/bin/env python3
"""Archives the current templates/ as a released template version, content-addressed.

Usage: scripts/archive-templates.py VERSION
Writes archive/blobs/<sha256> for every file (a blob shared by versions is stored once) and
archive/VERSION.toml mapping each path under templates/ to its blob. Run it before changing
templates for a new version, so `ironplate upgrade` can rebuild BASE for repos made with it.
"""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(ROOT, "templates")
ARCHIVE = os.path.join(ROOT, "archive")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    version = sys.argv[1]
    manifest = os.path.join(ARCHIVE, f"{version}.toml")
    if os.path.exists(manifest):
        sys.exit(f"{manifest} exists: a released version is never rewritten")
    os.makedirs(os.path.join(ARCHIVE, "blobs"), exist_ok=True)
    entries = []
    for folder, _, files in os.walk(TEMPLATES):
        for name in files:
            path = os.path.join(folder, name)
            data = open(path, "rb").read()
            digest = hashlib.sha256(data).hexdigest()
            blob = os.path.join(ARCHIVE, "blobs", digest)
            if not os.path.exists(blob):
                open(blob, "wb").write(data)
            entries.append((os.path.relpath(path, TEMPLATES).replace(os.sep, "/"), digest))
    with open(manifest, "w") as out:
        out.write(f"# Template version {version}, archived: path under templates/ -> blob.\n")
        out.write("[files]\n")
        for rel, digest in sorted(entries):
            out.write(f'"{rel}" = "{digest}"\n')
    print(f"archived {len(entries)} files as {version}")


if __name__ == "__main__":
    main()
