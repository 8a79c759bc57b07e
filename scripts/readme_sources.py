#!/usr/bin/env python3
"""Which source the README names for each of its number-bearing tables, and whether it exists.

    python3 scripts/readme_sources.py [--strict] [--readme README.md] [--root DIR]
    python3 scripts/readme_sources.py --self-test

A table is a run of consecutive lines starting with `|` (indented ones too, as inside a
list item), outside fenced code; it is number-bearing when a body cell (a row after the
header and its `|---|` line) holds a digit. Its source is looked for in the text of the
same section (a heading of any level starts one): paragraphs, list items and fenced code
blocks, nearest first (the text just before the table, then just after, then one further
out on each side, ...). The first text that names a path under `results/`, `static/` or
`tests/golden/`, or a file under `scripts/` or `bench/` (in backticks, as a Markdown link's
target, or as a word of a fenced code block) is the table's source; every such path it
names is listed.

One line per table: its line number, the heading it is under, its first header line
(shortened), and the paths named with where the text stands (`before`, `after`, `2 before`:
the second text out on that side), or NO SOURCE. The nearest text naming a path wins, so a
source found several texts away may belong to something else: --max-distance 1 keeps to
the texts right next to the table. A path with a glob, a `$`, a `<...>` placeholder or an
all-capitals component such as `DIR` or `RUN` is listed but not checked.

Exit status: 1 when a table names a path that does not exist under the repository root
(and, with --strict, when a table has no source), 0 otherwise; 2 on a usage error.
Standard library only.
"""

import argparse
import os
import re
import sys
import tempfile

PREFIXES = ("results/", "static/", "tests/golden/")
FILE_PREFIXES = ("scripts/", "bench/")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
PLACEHOLDER_COMPONENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


def source_path(token):
    """The path `token` names when it is one of the source kinds, else None."""
    token = token.strip().strip("\"'`").rstrip(",;:.)]}>").lstrip("([<")
    if "=" in token:  # --flag=path, VAR=path
        token = token.rsplit("=", 1)[1]
    if token.startswith("./"):
        token = token[2:]
    for p in PREFIXES + FILE_PREFIXES:
        if token.startswith(p) and len(token) > len(p):
            if p in FILE_PREFIXES and token.endswith("/"):
                return None  # a folder under scripts/ or bench/ is not a file
            return token
    return None


def is_placeholder(path):
    if any(c in path for c in "*?[]{}$<>…") or "..." in path:
        return True
    return any(PLACEHOLDER_COMPONENT.match(c) for c in path.strip("/").split("/"))


def paths_in(unit):
    """Paths named by a text unit: (kind, lines) with kind 'text' or 'code'."""
    kind, lines = unit
    found = []
    if kind == "code":
        words = [w for line in lines for w in re.split(r"[\s;|&()]+", line)]
    else:
        text = " ".join(lines)
        words = [w for m in CODE_SPAN.finditer(text) for w in m.group(2).split()]
        words += [m.group(1) for m in LINK.finditer(text)]
    for w in words:
        p = source_path(w)
        if p and p not in found:
            found.append(p)
    return found


def parse(text):
    """The README as sections: a list of (heading, items), an item being
    ('table', first line number, lines) or ('text'|'code', first line number, lines)."""
    sections = [("(top)", [])]
    lines = text.split("\n")
    i = 0
    para = None  # the open text unit

    def close():
        nonlocal para
        if para is not None:
            sections[-1][1].append(("text", para[0], para[1]))
            para = None

    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            close()
            start, body = i, []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(m.group(1)):
                body.append(lines[i])
                i += 1
            sections[-1][1].append(("code", start + 1, body))
            i += 1
            continue
        h = HEADING.match(line)
        if h:
            close()
            sections.append((h.group(1) + " " + h.group(2), []))
        elif line.lstrip().startswith("|"):
            close()
            start, rows = i, []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            sections[-1][1].append(("table", start + 1, rows))
            continue
        elif not line.strip():
            close()
        else:
            if LIST_ITEM.match(line):
                close()
            if para is None:
                para = (i + 1, [])
            para[1].append(line)
        i += 1
    close()
    return sections


def cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def number_bearing(rows):
    body = rows[2:] if len(rows) > 1 and SEPARATOR.match(rows[1]) else rows[1:]
    return any(re.search(r"[0-9]", c) for r in body for c in cells(r))


def shorten(s, n=60):
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def analyse(text, root, max_distance=None):
    """One record per number-bearing table: dict(line, heading, header, paths, where,
    missing, unchecked)."""
    records = []
    for heading, items in parse(text):
        texts = [(k, item) for k, item in enumerate(items) if item[0] != "table"]
        for k, item in enumerate(items):
            if item[0] != "table" or not number_bearing(item[2]):
                continue
            before = [(n, t) for n, t in reversed(texts) if n < k]
            after = [(n, t) for n, t in texts if n > k]
            paths, where = [], None
            for d in range(max(len(before), len(after))):
                if max_distance is not None and d >= max_distance:
                    break
                for side, pool in (("before", before), ("after", after)):
                    if d < len(pool):
                        found = paths_in((pool[d][1][0], pool[d][1][2]))
                        if found:
                            paths = found
                            where = side if d == 0 else f"{d + 1} {side}"
                            break
                if paths:
                    break
            unchecked = [p for p in paths if is_placeholder(p)]
            missing = [p for p in paths if p not in unchecked
                       and not os.path.exists(os.path.join(root, p))]
            records.append(dict(line=item[1], heading=heading, header=item[2][0],
                                paths=paths, where=where, missing=missing,
                                unchecked=unchecked))
    return records


def report(records, strict, out=sys.stdout):
    """Prints the lines; returns the exit status."""
    for r in records:
        if r["paths"]:
            named = ", ".join(
                p + (" (MISSING)" if p in r["missing"] else
                     " (not checked)" if p in r["unchecked"] else "")
                for p in r["paths"])
            src = f"{named} ({r['where']})"
        else:
            src = "NO SOURCE"
        print(f"line {r['line']} [{shorten(r['heading'], 40)}] \"{shorten(r['header'])}\" -> {src}",
              file=out)
    missing = [(r["line"], p) for r in records for p in r["missing"]]
    sourceless = [r["line"] for r in records if not r["paths"]]
    print(f"readme_sources: {len(records)} number-bearing tables, "
          f"{len(records) - len(sourceless)} name a source, {len(sourceless)} name none, "
          f"{len(missing)} named paths missing", file=out)
    for line, p in missing:
        print(f"readme_sources: the table at line {line} names {p}, which does not exist",
              file=out)
    if strict and sourceless:
        print("readme_sources: --strict: no source for the tables at lines "
              + ", ".join(map(str, sourceless)), file=out)
    return 1 if missing or (strict and sourceless) else 0


SELF_TEST_README = """# Title

## Kept

Measured by `scripts/kept.sh` (its output is in [the results](results/kept/out.md)):

| what | value |
|---|---|
| speed | 12 ex/s |

## Gone

| what | value |
|---|---|
| speed | 13 ex/s |

The numbers above come from `results/gone/run.sh`; see also `results/RUN/log.txt`.

## None

```sh
# not a heading: a comment in code
```

Text without a path, then a table.

| what | value |
|---|---|
| speed | 14 ex/s |

| words only | no numbers |
|---|---|
| a | b |

## Far

- A list item naming `bench/far.py`.
- Another item, nothing named.

| x | y |
|---|---|
| 1 | 2 |
"""


def self_test():
    """Runs analyse/report on SELF_TEST_README in a scratch root; returns the exit status."""
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    with tempfile.TemporaryDirectory() as root:
        for p in ("scripts/kept.sh", "results/kept/out.md", "bench/far.py"):
            os.makedirs(os.path.dirname(os.path.join(root, p)), exist_ok=True)
            open(os.path.join(root, p), "w").close()
        records = analyse(SELF_TEST_README, root)
        by = {r["heading"]: r for r in records}
        expect("number-bearing tables", [r["heading"] for r in records],
               ["## Kept", "## Gone", "## None", "## Far"])
        expect("Kept: paths", by["## Kept"]["paths"], ["scripts/kept.sh", "results/kept/out.md"])
        expect("Kept: missing", by["## Kept"]["missing"], [])
        expect("Kept: where", by["## Kept"]["where"], "before")
        expect("Gone: paths", by["## Gone"]["paths"], ["results/gone/run.sh", "results/RUN/log.txt"])
        expect("Gone: missing", by["## Gone"]["missing"], ["results/gone/run.sh"])
        expect("Gone: unchecked", by["## Gone"]["unchecked"], ["results/RUN/log.txt"])
        expect("Gone: where", by["## Gone"]["where"], "after")
        expect("None: paths", by["## None"]["paths"], [])
        expect("Far: paths", by["## Far"]["paths"], ["bench/far.py"])
        expect("Far: where", by["## Far"]["where"], "2 before")
        expect("Far within 1", [r["paths"] for r in analyse(SELF_TEST_README, root, 1)
                                if r["heading"] == "## Far"], [[]])
        with open(os.devnull, "w") as null:
            expect("exit status with a missing path", report(records, False, null), 1)
            ok = [r for r in records if r["heading"] != "## Gone"]
            expect("exit status, all named paths exist", report(ok, False, null), 0)
            expect("exit status, --strict with a table without source", report(ok, True, null), 1)
            expect("exit status, --strict, every table sourced",
                   report([by["## Kept"], by["## Far"]], True, null), 0)
    for p in problems:
        print("readme_sources self-test: " + p)
    print(f"readme_sources self-test: {'ok' if not problems else 'FAILED'} "
          f"({len(problems)} problems)")
    return 1 if problems else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strict", action="store_true", help="also fail when a table has no source")
    p.add_argument("--root", default=os.path.dirname(here),
                   help="repository root the paths are relative to (default: this checkout)")
    p.add_argument("--readme", help="the README to read (default: ROOT/README.md)")
    p.add_argument("--max-distance", type=int, metavar="N",
                   help="look at most N texts away on each side (default: the whole section)")
    p.add_argument("--self-test", action="store_true", help="check this script on a small README")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    readme = a.readme or os.path.join(a.root, "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    return report(analyse(text, a.root, a.max_distance), a.strict)


if __name__ == "__main__":
    sys.exit(main())
