#!/usr/bin/env python3
"""Checks the citations of the repository's own documentation.

1. Every `docs/<page>.md` or `docs/<page>.md#<anchor>` cited in the Rust sources (`src/`,
   `tests/`, `tools/`, `benches/`, `examples/`, `fuzz/`), in `README.md`, `arm/README.md` and
   `docs/*.md` names a page that exists, and the anchor is one of that page's headings (GitHub's
   rule: lower case, punctuation dropped, spaces to `-`, `-1`, `-2`... for repeats) or an
   explicit `<a id>`/`<a name>`. Links inside `docs/*.md` (`(#anchor)`, `(page.md#anchor)`) are
   checked too.
2. Every `.md` file named in a `//` comment of those Rust sources is a file in the repository:
   a path from the repository's root or from the file's own folder, or a bare name found at the
   root or next to the file. A comment may not cite notes kept outside the repository.

Standard library only. Prints what it checked; exits 1 on any problem.

    python3 scripts/check_docs.py
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUST_DIRS = ["src", "tests", "tools", "benches", "examples", "fuzz"]
MARKDOWN = ["README.md", "arm/README.md"]
SKIP_DIRS = {"target", ".git", "node_modules", "dist"}

DOCS_CITATION = re.compile(r"(?<![\w/.-])((?:\.\./)*docs/[\w.-]+\.md)(?:#([\w-]+))?")
MD_TOKEN = re.compile(r"(?<![\w/.-])([\w./-]*[\w-]\.md)(?:#([\w-]+))?(?![\w])")
LINE_COMMENT = re.compile(r"(?:^|\s)(//.*)$")
URL = re.compile(r"\w+://\S+")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)\s*=\s*\"([^\"]+)\"", re.I)
DOC_LINK = re.compile(r"\]\(([\w.-]*\.md)?#([\w-]+)\)")


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """The anchors a Markdown file defines."""
    found, seen, in_fence = set(), {}, False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        found.update(EXPLICIT_ANCHOR.findall(line))
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def rust_files():
    for top in RUST_DIRS:
        base = ROOT / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.rs")):
            if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                yield path


def comments(text):
    """(line number, comment text) of each `//` comment, URLs removed."""
    for number, line in enumerate(text.splitlines(), 1):
        m = LINE_COMMENT.search(line)
        if m:
            yield number, URL.sub("", m.group(1))


def main():
    problems, checked = [], []
    anchor_cache = {}

    def page_anchors(page):
        if page not in anchor_cache:
            anchor_cache[page] = anchors(page) if page.is_file() else None
        return anchor_cache[page]

    def check_target(where, page, anchor, label):
        found = page_anchors(page)
        if found is None:
            problems.append(f"{where}: {label}: no such file")
        elif anchor and anchor not in found:
            problems.append(f"{where}: {label}: no heading with anchor #{anchor}")
        else:
            checked.append(f"{where}: {label}")

    def check_docs_citations(path, text):
        for number, line in enumerate(text.splitlines(), 1):
            for m in DOCS_CITATION.finditer(line):
                cited, anchor = m.group(1), m.group(2)
                base = path.parent if cited.startswith("../") else ROOT
                page = (base / cited).resolve()
                label = cited + (f"#{anchor}" if anchor else "")
                check_target(f"{path.relative_to(ROOT)}:{number}", page, anchor, label)

    # 1. docs/ citations.
    rust = list(rust_files())
    markdown = [ROOT / m for m in MARKDOWN if (ROOT / m).is_file()]
    doc_pages = sorted((ROOT / "docs").glob("*.md"))
    for path in rust + markdown + doc_pages:
        check_docs_citations(path, path.read_text(encoding="utf-8"))
    for page in doc_pages:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for m in DOC_LINK.finditer(line):
                target = page.parent / m.group(1) if m.group(1) else page
                label = f"link {m.group(1) or ''}#{m.group(2)}"
                check_target(f"{page.relative_to(ROOT)}:{number}", target.resolve(), m.group(2), label)
    docs_count = len(checked)

    # 2. No comment cites a .md file outside the repository.
    comment_refs = 0
    for path in rust:
        text = path.read_text(encoding="utf-8")
        for number, comment in comments(text):
            for m in MD_TOKEN.finditer(comment):
                cited = m.group(1)
                if DOCS_CITATION.fullmatch(cited):
                    continue  # checked above
                comment_refs += 1
                where = f"{path.relative_to(ROOT)}:{number}"
                rel = cited.lstrip("/")
                candidates = [ROOT / rel, path.parent / rel]
                target = next(
                    (c.resolve() for c in candidates
                     if c.is_file() and ROOT in c.resolve().parents),
                    None,
                )
                if target is None:
                    problems.append(
                        f"{where}: cites {cited}, which is not a file in the repository"
                    )
                    continue
                anchor = m.group(2)
                if anchor and anchor not in (page_anchors(target) or set()):
                    problems.append(f"{where}: {cited}#{anchor}: no heading with that anchor")
                    continue
                checked.append(f"{where}: {cited}" + (f"#{anchor}" if anchor else ""))

    print("check_docs: anchors defined")
    for page in doc_pages:
        print(f"  {page.relative_to(ROOT)}: {len(page_anchors(page.resolve()))}")
    print("check_docs: citations checked")
    for line in checked:
        print(f"  ok {line}")
    print(
        f"check_docs: {docs_count} docs/ citations and in-page links in {len(rust)} Rust files, "
        f"{len(markdown)} READMEs and {len(doc_pages)} docs pages; "
        f"{comment_refs} other .md references in Rust comments; {len(problems)} problems"
    )
    if problems:
        for p in problems:
            print(f"check_docs: error: {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
