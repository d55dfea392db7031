#!/usr/bin/env python3
"""Check a k2search NDJSON export against the Quickwit and OpenSearch mappings.

    python3 deploy/check_mappings.py passages.ndjson
    python3 deploy/check_mappings.py passages.ndjson.gz --max-lines 100000 \
        --quickwit deploy/quickwit/k2search-index.yaml \
        --opensearch deploy/opensearch/k2search-mapping.json

Checks that
  * every field found in the export is mapped in both configs, with a
    compatible type:
        string           -> Quickwit text            | OpenSearch text/keyword
        integer (>= 0)   -> Quickwit u64 (or i64)    | OpenSearch long (or unsigned_long)
        array of strings -> Quickwit array<text>     | OpenSearch text/keyword (arrays are implicit)
        object           -> Quickwit json (or object)| OpenSearch object (or flat_object)
  * every mapped top-level field occurs in the export;
  * OpenSearch sub-fields declared under `metadata` get string values, and a
    strict object gets no undeclared keys;
  * Quickwit default_search_fields and OpenSearch analyzers point to things
    that exist.
Exits 0 when everything agrees, 1 on any mismatch (each one explained),
2 on unreadable input. Uses PyYAML when installed, else a small built-in
reader for the YAML subset the Quickwit config uses.
"""
import argparse
import gzip
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_QW = os.path.join(HERE, "quickwit", "k2search-index.yaml")
DEFAULT_OS = os.path.join(HERE, "opensearch", "k2search-mapping.json")

U64_MAX = 2**64 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
I32_MIN, I32_MAX = -(2**31), 2**31 - 1


# --------------------------------------------------------------------------
# Tiny YAML reader (fallback when PyYAML is missing). Handles block maps,
# block lists (including "- key: value" maps), flow lists, quoted and plain
# scalars, and comments: enough for deploy/quickwit/*.yaml, not general YAML.
# --------------------------------------------------------------------------
_KEY_RE = re.compile(r"^([^\s:#'\"][^:#]*?|\"[^\"]*\"|'[^']*'):(?:\s+|$)")


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _split_flow(s):
    items, buf, quote, depth = [], [], None, 0
    for ch in s:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    tail = "".join(buf).strip()
    if tail:
        items.append(tail)
    return items


def _scalar(s):
    s = s.strip()
    if s == "" or s in ("~", "null", "Null", "NULL"):
        return None
    if s.startswith('"'):
        return json.loads(s)
    if s.startswith("'"):
        return s[1:-1].replace("''", "'")
    if s.startswith("[") and s.endswith("]"):
        return [_scalar(x) for x in _split_flow(s[1:-1])]
    if s.startswith("{") and s.endswith("}"):
        out = {}
        for part in _split_flow(s[1:-1]):
            k, _, v = part.partition(":")
            out[_scalar(k)] = _scalar(v)
        return out
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?\d+", s):
        return int(s)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", s):
        return float(s)
    return s


def mini_yaml_load(text):
    lines = []
    for raw in text.splitlines():
        if raw.strip() in ("---", "..."):
            continue
        body = _strip_comment(raw)
        if body.strip():
            lines.append([len(body) - len(body.lstrip(" ")), body.strip()])

    def is_item(c):
        return c == "-" or c.startswith("- ")

    def block(i, indent):
        if i >= len(lines):
            return None, i
        return (seq if is_item(lines[i][1]) else mapping)(i, lines[i][0])

    def mapping(i, indent):
        out = {}
        while i < len(lines) and lines[i][0] == indent and not is_item(lines[i][1]):
            m = _KEY_RE.match(lines[i][1])
            if not m:
                raise ValueError(f"cannot read YAML line: {lines[i][1]!r}")
            key = _scalar(m.group(1))
            rest = lines[i][1][m.end():]
            i += 1
            if rest.strip():
                out[key] = _scalar(rest)
            elif i < len(lines) and (lines[i][0] > indent or
                                     (lines[i][0] == indent and is_item(lines[i][1]))):
                out[key], i = block(i, lines[i][0])
            else:
                out[key] = None
        return out, i

    def seq(i, indent):
        out = []
        while i < len(lines) and lines[i][0] == indent and is_item(lines[i][1]):
            item = lines[i][1][1:]
            stripped = item.lstrip(" ")
            if not stripped:
                i += 1
                val, i = block(i, indent + 1) if i < len(lines) and lines[i][0] > indent else (None, i)
                out.append(val)
            elif _KEY_RE.match(stripped):
                # "- key: value" opens a map whose keys sit at this column.
                lines[i] = [indent + 1 + len(item) - len(stripped), stripped]
                val, i = mapping(i, lines[i][0])
                out.append(val)
            else:
                out.append(_scalar(stripped))
                i += 1
        return out, i

    value, i = block(0, 0)
    if i != len(lines):
        raise ValueError(f"cannot read YAML near line: {lines[i][1]!r}")
    return value


def load_yaml(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        import yaml  # type: ignore
    except ImportError:
        return mini_yaml_load(text)
    return yaml.safe_load(text)


# --------------------------------------------------------------------------
# Export scan
# --------------------------------------------------------------------------
class FieldStats:
    __slots__ = ("count", "kinds", "min_int", "max_int", "elem_kinds",
                 "obj_keys", "obj_value_kinds", "example_line")

    def __init__(self):
        self.count = 0
        self.kinds = {}          # kind -> count
        self.min_int = None
        self.max_int = None
        self.elem_kinds = set()  # for arrays
        self.obj_keys = {}       # for objects: key -> set(kinds)
        self.obj_value_kinds = set()
        self.example_line = None


def kind_of(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def scan_export(path, max_lines):
    opener = gzip.open if path.endswith(".gz") else open
    stats = {}
    n = 0
    errors = []
    src = sys.stdin if path == "-" else opener(path, "rt", encoding="utf-8")
    with src as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as e:
                errors.append(f"export line {lineno}: not valid JSON ({e})")
                if len(errors) >= 10:
                    break
                continue
            if not isinstance(doc, dict):
                errors.append(f"export line {lineno}: not a JSON object")
                continue
            n += 1
            for name, v in doc.items():
                st = stats.get(name)
                if st is None:
                    st = stats[name] = FieldStats()
                    st.example_line = lineno
                st.count += 1
                k = kind_of(v)
                st.kinds[k] = st.kinds.get(k, 0) + 1
                if k == "integer":
                    st.min_int = v if st.min_int is None else min(st.min_int, v)
                    st.max_int = v if st.max_int is None else max(st.max_int, v)
                elif k == "array":
                    for e in v:
                        st.elem_kinds.add(kind_of(e))
                elif k == "object":
                    for kk, vv in v.items():
                        st.obj_keys.setdefault(kk, set()).add(kind_of(vv))
                        st.obj_value_kinds.add(kind_of(vv))
            if max_lines and n >= max_lines:
                break
    return n, stats, errors


def describe(st):
    kinds = sorted(k for k in st.kinds if k != "null")
    if len(kinds) != 1:
        return "mixed(" + ",".join(kinds) + ")" if kinds else "null"
    k = kinds[0]
    if k == "array":
        el = sorted(st.elem_kinds - {"null"})
        if not el:
            return "array<empty>"
        return "array<" + "|".join(el) + ">"
    return k


# --------------------------------------------------------------------------
# Compatibility rules
# --------------------------------------------------------------------------
QW_OK = {
    "string": {"text"},
    "float": {"f64"},
    "bool": {"bool"},
    "object": {"json", "object"},
    "array<string>": {"array<text>"},
}
OS_STRING = {"text", "keyword", "match_only_text", "wildcard", "constant_keyword",
             "search_as_you_type"}
OS_OBJECT = {"object", "flat_object", "flattened"}
OS_FLOAT = {"double", "float", "half_float", "scaled_float"}


def int_types_qw(st):
    ok = {"f64"}
    if st.min_int >= 0 and st.max_int <= U64_MAX:
        ok.add("u64")
    if st.min_int >= I64_MIN and st.max_int <= I64_MAX:
        ok.add("i64")
    return ok


def int_types_os(st):
    ok = set(OS_FLOAT)
    if st.min_int >= I64_MIN and st.max_int <= I64_MAX:
        ok.add("long")
    if st.min_int >= 0 and st.max_int <= U64_MAX:
        ok.add("unsigned_long")
    if st.min_int >= I32_MIN and st.max_int <= I32_MAX:
        ok.add("integer")
    return ok


def mixed_error(name, st, engine, mtype):
    counts = ", ".join(f"{k} in {c}" for k, c in sorted(st.kinds.items()) if k != "null")
    return (f"field `{name}`: inconsistent value types across passages ({counts}); "
            f"{engine} maps it as `{mtype}` and the export must use one type")


def check_qw(name, st, mtype):
    d = describe(st)
    if d.startswith("mixed("):
        return mixed_error(name, st, "Quickwit", mtype)
    if d == "integer":
        ok = int_types_qw(st)
    elif d == "array<empty>":
        ok = {mtype} if mtype.startswith("array<") else set()
    elif d == "array<integer>":
        ok = {"array<" + t + ">" for t in int_types_qw(st)}
    else:
        ok = QW_OK.get(d, set())
    if mtype in ok:
        return None
    want = " or ".join(sorted(ok)) or "nothing Quickwit can map"
    rng = f" (range {st.min_int}..{st.max_int})" if d == "integer" else ""
    return (f"field `{name}`: export has {d}{rng} (first seen on line "
            f"{st.example_line}) but Quickwit maps it as `{mtype}`; expected {want}")


def check_os(name, st, spec):
    mtype = spec.get("type", "object" if "properties" in spec else None)
    d = describe(st)
    if d.startswith("mixed("):
        return mixed_error(name, st, "OpenSearch", mtype)
    base = d[6:-1] if d.startswith("array<") else d
    if d == "array<empty>":
        return None  # an empty array fits any OpenSearch field
    if base == "string":
        ok = OS_STRING
    elif base == "integer":
        ok = int_types_os(st)
    elif base == "float":
        ok = OS_FLOAT
    elif base == "bool":
        ok = {"boolean"}
    elif d == "object":
        ok = OS_OBJECT
    else:
        ok = set()
    if mtype in ok:
        return None
    want = " or ".join(sorted(ok)) or "nothing OpenSearch can map"
    return (f"field `{name}`: export has {d} (first seen on line {st.example_line}) "
            f"but OpenSearch maps it as `{mtype}`; expected {want}")


def check_os_object(name, st, spec, root_dynamic):
    """Values of declared sub-fields, and undeclared keys under strict objects."""
    errs = []
    props = spec.get("properties", {}) or {}
    dyn = str(spec.get("dynamic", root_dynamic)).lower()
    for key, kinds in sorted(st.obj_keys.items()):
        kinds = kinds - {"null"}
        sub = props.get(key)
        if sub is None:
            if dyn == "strict":
                errs.append(f"field `{name}.{key}`: present in the export but `{name}` "
                            f"is a strict object in OpenSearch without that property")
            continue
        stype = sub.get("type", "object")
        if stype in OS_STRING and kinds - {"string", "array"}:
            errs.append(f"field `{name}.{key}`: OpenSearch maps it as `{stype}` but the "
                        f"export has {sorted(kinds)} values")
    return errs


# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description="Check a k2search NDJSON export "
                                 "against the Quickwit and OpenSearch mappings.")
    ap.add_argument("export", help="NDJSON export (.ndjson, .ndjson.gz, or - for stdin)")
    ap.add_argument("--quickwit", default=DEFAULT_QW)
    ap.add_argument("--opensearch", default=DEFAULT_OS)
    ap.add_argument("--max-lines", type=int, default=0,
                    help="only read the first N passages (default: all)")
    args = ap.parse_args()

    try:
        qw = load_yaml(args.quickwit)
        with open(args.opensearch, encoding="utf-8") as fh:
            osm = json.load(fh)
        n, stats, read_errors = scan_export(args.export, args.max_lines)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    errors = list(read_errors)
    warnings = []
    if n == 0:
        errors.append("export has no passages")

    qw_fields = {}
    for fm in (qw.get("doc_mapping") or {}).get("field_mappings") or []:
        qw_fields[fm["name"]] = fm
    mappings = osm.get("mappings", {})
    os_fields = mappings.get("properties", {}) or {}
    root_dynamic = mappings.get("dynamic", True)

    exported = set(stats)
    for name in sorted(exported):
        st = stats[name]
        if st.count < n:
            warnings.append(f"field `{name}` is missing from {n - st.count} of {n} passages")
        if describe(st) == "null":
            warnings.append(f"field `{name}` is always null in the export; types not checked")
            continue
        if name not in qw_fields:
            errors.append(f"field `{name}` is in the export but not in the Quickwit "
                          f"field_mappings ({args.quickwit})")
        else:
            e = check_qw(name, st, str(qw_fields[name].get("type")))
            if e:
                errors.append(e)
        if name not in os_fields:
            errors.append(f"field `{name}` is in the export but not in the OpenSearch "
                          f"mappings.properties ({args.opensearch})")
        else:
            e = check_os(name, st, os_fields[name])
            if e:
                errors.append(e)
            elif describe(st) == "object":
                errors += check_os_object(name, st, os_fields[name], root_dynamic)
        if describe(st) == "object" and st.obj_value_kinds - {"string", "null"}:
            warnings.append(f"field `{name}` has non-string values "
                            f"({sorted(st.obj_value_kinds - {'string', 'null'})}); "
                            f"the export contract says object of string -> string")

    for name in sorted(set(qw_fields) - exported):
        errors.append(f"field `{name}` is mapped in Quickwit but never occurs in the export")
    for name in sorted(set(os_fields) - exported):
        errors.append(f"field `{name}` is mapped in OpenSearch but never occurs in the export")

    # Config self-consistency.
    for f in ((qw.get("search_settings") or {}).get("default_search_fields") or []):
        root = f.split(".")[0]
        if root not in qw_fields:
            errors.append(f"Quickwit default_search_fields names `{f}`, which is not mapped")
        elif qw_fields[root].get("indexed") is False:
            errors.append(f"Quickwit default_search_fields names `{f}`, which is not indexed")
    analyzers = set(((osm.get("settings") or {}).get("analysis") or {}).get("analyzer") or {})
    builtin = {"standard", "simple", "whitespace", "stop", "keyword", "pattern",
               "fingerprint", "english"}
    for name, spec in os_fields.items():
        for key in ("analyzer", "search_analyzer"):
            a = spec.get(key)
            if a and a not in analyzers and a not in builtin:
                errors.append(f"OpenSearch field `{name}` uses undefined analyzer `{a}`")

    for w in warnings:
        print(f"warning: {w}")
    if errors:
        for e in errors:
            print(f"MISMATCH: {e}")
        print(f"FAILED: {len(errors)} problem(s); {n} passages, {len(exported)} fields read "
              f"from {args.export}")
        return 1
    print(f"OK: {n} passages, {len(exported)} fields ({', '.join(sorted(exported))}) "
          f"match {os.path.relpath(args.quickwit)} and {os.path.relpath(args.opensearch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
