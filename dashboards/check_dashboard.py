#!/usr/bin/env python3
"""Checks a Grafana dashboard against the metric table of dpcache-control.

    check_dashboard.py --metrics-source control/metrics.c dashboards/dpcache.json [more.json ...]

Every metric name in every panel query (targets' `expr`, also inside collapsed rows), in the
template variables' queries (`label_values(metric, label)`, `query_result(...)`) and in
annotation queries must be a series dpcache-control exports:

  * a family of the table in metrics.c: the `#define ...(M)` block of rows
    M(ID, "name", TYPE, "source", "help"); a HISTOGRAM family NAME is exported as
    NAME_bucket, NAME_sum and NAME_count (NAME itself has no series);
  * a generated per-core family: metrics_setup() in metrics.c expands the data plane's tables
    (WORKER_METRICS, NET_METRICS, TCP_METRICS: rows M(field, COUNTER|GAUGE, "help")) through
    gen_add(prefix, ...) into <base><prefix><field>, plus "_total" for a COUNTER. Those tables
    are read from the headers under the source root (default: the parent of metrics.c's
    folder).

A query's metric names are its identifiers once string literals, label matchers, range and
subquery brackets, function and aggregation names, keywords, and the label lists of
by/without/on/ignoring/group_left/group_right are taken out; {__name__="..."} counts as a
name, {__name__=~"re"} must match at least one exported series.

Also fails on: a file that is not JSON, two panels with the same id, a panel without an id,
a panel (other than a row) without a datasource, a datasource `${x}` naming neither a
template variable nor an __inputs entry, a query without `expr`, two queries of a panel with
the same refId, a call to an unknown PromQL function, and a `$variable` the dashboard does
not define (Grafana's own `$__...` excepted).

Exit status: 0 all good, 1 a problem (each listed on stderr), 2 usage error or a metrics
source this script cannot read. Python 3 standard library only.
"""
import argparse
import difflib
import json
import os
import re
import sys

# ---------------------------------------------------------------------------------------------
# The metric names of metrics.c

TABLE_BLOCK = re.compile(r'^[ \t]*#define[ \t]+(\w+)\(M\)[ \t]*\\\n((?:.*\\\n)*.*\n?)', re.M)
CTL_ROW = re.compile(r'M\(\s*(\w+)\s*,\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"\s*,\s*(\w+)\s*,')
GEN_ROW = re.compile(r'M\(\s*(\w+)\s*,\s*(COUNTER|GAUGE)\s*,')
ROW_START = re.compile(r'^\s*M\(', re.M)
HIST_SUFFIXES = ("_bucket", "_sum", "_count")


class SourceError(Exception):
    pass


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise SourceError("%s: %s" % (path, e.strerror or e))


def strip_c_comments(src):
    return re.sub(r'/\*.*?\*/', lambda m: "\n" * m.group(0).count("\n"), src, flags=re.S)


def table_blocks(src):
    """{macro: body} of every `#define MACRO(M) \\` continuation block."""
    return {m.group(1): m.group(2) for m in TABLE_BLOCK.finditer(strip_c_comments(src))}


def parse_ctl_table(path, src):
    """The families of metrics.c's table: {name: set(types)}."""
    fams = {}
    for macro, body in table_blocks(src).items():
        rows = CTL_ROW.findall(body)
        if not rows:
            continue
        starts = len(ROW_START.findall(body))
        if starts != len(rows):
            raise SourceError("%s: %s: %d rows start with M( but only %d read as "
                              'M(ID, "name", TYPE, ...)' % (path, macro, starts, len(rows)))
        for _id, name, mtype in rows:
            if mtype not in ("GAUGE", "COUNTER", "HISTOGRAM"):
                raise SourceError("%s: %s: %s has type %s (expected GAUGE, COUNTER or "
                                  "HISTOGRAM)" % (path, macro, name, mtype))
            fams.setdefault(name, set()).add(mtype)
    if not fams:
        raise SourceError('%s: no metric table (#define X(M) rows M(ID, "name", TYPE, ...))'
                          % path)
    return fams


def parse_generators(path, src):
    """metrics_setup()'s expansion of the data plane's tables: (base, {TABLE_MACRO: prefix})."""
    src = strip_c_comments(src)
    base = re.search(r'snprintf\(\s*g->name\s*,[^,]*,\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)%s%s%s"', src)
    # the expanders: #define G_X(f, k, h) gen_add("prefix", ...)
    expanders = dict(re.findall(r'#define\s+(\w+)\(\s*f\s*,\s*k\s*,\s*h\s*\)(.*)', src))
    uses = [(t, g) for t, g in re.findall(r'^\s*(\w+)\((\w+)\)\s*$', src, re.M)
            if g in expanders]
    tables, unread = {}, []
    for t, g in uses:
        m = re.match(r'\s*gen_add\(\s*"(\w*)"', expanders[g])
        if m:
            tables[t] = m.group(1)
        else:
            unread.append("%s(%s)" % (t, g))
    if unread or ("gen_add(" in src and (not base or not tables)):
        raise SourceError("%s: gen_add() is used but %s could not be read (expected "
                          '#define G_X(f, k, h) gen_add("prefix", ...) and X_METRICS(G_X))'
                          % (path, ", ".join(unread) or "its name pattern or tables"))
    return (base.group(1) if base else ""), tables


def find_tables(root, wanted, metrics_path):
    """{macro: [(field, kind)]} for the generated tables, from the headers under root."""
    found = {}
    candidates = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and not x.startswith("build")
                         and x not in ("subprojects", "node_modules"))
        candidates += [os.path.join(d, f) for f in sorted(files) if f.endswith(".h")]
    for path in candidates:
        try:
            src = read(path)
        except SourceError:
            continue
        if "Generated by" in src[:300]:
            continue  # a copy (ctl_stack_metrics.h in a build folder); the source is elsewhere
        for macro, body in table_blocks(src).items():
            if macro not in wanted:
                continue
            rows = GEN_ROW.findall(body)
            if len(ROW_START.findall(body)) != len(rows) or not rows:
                raise SourceError("%s: %s: rows do not read as M(field, COUNTER|GAUGE, ...)"
                                  % (path, macro))
            if macro in found and found[macro][1] != rows:
                raise SourceError("%s: two different definitions: %s and %s"
                                  % (macro, found[macro][0], path))
            found[macro] = (path, rows)
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise SourceError("%s expands %s, not found in any header under %s"
                          % (metrics_path, ", ".join(missing), root))
    return {m: rows for m, (_p, rows) in found.items()}


class Catalog:
    """The series names dpcache-control exports."""

    def __init__(self, metrics_path, root=None):
        src = read(metrics_path)
        self.families = parse_ctl_table(metrics_path, src)
        base, tables = parse_generators(metrics_path, src)
        root = root or os.path.dirname(os.path.dirname(os.path.abspath(metrics_path)))
        self.generated = {}
        for macro, rows in find_tables(root, tables, metrics_path).items():
            for field, kind in rows:
                name = base + tables[macro] + field + ("_total" if kind == "COUNTER" else "")
                self.generated[name] = kind
        self.histograms = {n for n, t in self.families.items() if "HISTOGRAM" in t}
        self.series = {n for n, t in self.families.items() if t != {"HISTOGRAM"}}
        self.series |= set(self.generated)
        self.series |= {h + s for h in self.histograms for s in HIST_SUFFIXES}

    def problem(self, name):
        """None if NAME is an exported series, else why not."""
        if name in self.series:
            return None
        if name in self.histograms:
            return ("%s is a histogram: its series are %s" %
                    (name, "/".join(name + s for s in HIST_SUFFIXES)))
        close = difflib.get_close_matches(name, sorted(self.series), n=1, cutoff=0.8)
        return "unknown metric %s%s" % (name, " (did you mean %s?)" % close[0] if close else "")

    def regex_problem(self, regex):
        try:
            r = re.compile(regex)
        except re.error as e:
            return "bad __name__ regex %r: %s" % (regex, e)
        if not any(r.fullmatch(n) for n in self.series):
            return "__name__=~%r matches no exported metric" % regex
        return None


# ---------------------------------------------------------------------------------------------
# PromQL

FUNCTIONS = set("""
abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp
clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year
days_in_month deg delta deriv double_exponential_smoothing exp floor histogram_avg
histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar
histogram_sum holt_winters hour idelta increase info irate label_join label_replace
last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month pi
predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh
sort sort_by_label sort_by_label_desc sort_desc sqrt stddev_over_time stdvar_over_time
sum_over_time tan tanh time timestamp ts_of_first_over_time ts_of_last_over_time
ts_of_max_over_time ts_of_min_over_time vector year start end
sum avg min max group count count_values stddev stdvar topk bottomk quantile limitk
limit_ratio
""".split())
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "atan2", "inf", "nan"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATIONS = {"sum", "avg", "min", "max", "group", "count", "count_values", "stddev", "stdvar",
                "topk", "bottomk", "quantile", "limitk", "limit_ratio"}

TOKEN = re.compile(r'''
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<num>\.?\d[\w.]*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],@:])
''', re.X)
GRAFANA_VAR = re.compile(r'\$\{([a-zA-Z_]\w*)(?::[^}]*)?\}'       # ${name} ${name:format}
                         r'|\$([a-zA-Z_]\w*)'                     # $name
                         r'|\[\[([a-zA-Z_]\w*)(?::[^\]]*)?\]\]')  # [[name]] (deprecated)


def grafana_vars(text):
    """Variable names referenced in TEXT ($x, ${x}, ${x:fmt}, [[x]])."""
    return [a or b or c for a, b, c in GRAFANA_VAR.findall(text)]


def unquote(s):
    if s[0] == "`":
        return s[1:-1]
    try:
        return json.loads('"' + s[1:-1].replace('\\\'', "'") + '"')
    except ValueError:
        return s[1:-1]


def tokenize(expr):
    # Grafana interpolates its variables before Prometheus sees the query: a stand-in number
    # keeps the query's shape (a range [$__rate_interval], topk($n, ...), a label value).
    expr = GRAFANA_VAR.sub("1", expr)
    toks, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot read %r at offset %d" % (expr[pos:pos + 20], pos))
        pos = m.end()
        if m.lastgroup != "ws":
            toks.append((m.lastgroup, m.group()))
    return toks


def promql_names(expr):
    """(names, name_regexes, problems) of one PromQL expression."""
    names, regexes, problems = [], [], []
    try:
        toks = tokenize(expr)
    except ValueError as e:
        return names, regexes, [str(e)]
    i, n = 0, len(toks)
    while i < n:
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < n else None
        if text == "{":  # label matchers
            j = i + 1
            while j < n and toks[j][1] != "}":
                k, t = toks[j]
                if k == "ident" and j + 2 < n and toks[j + 1][0] == "op" and \
                        toks[j + 2][0] == "str":
                    if t == "__name__":
                        val = unquote(toks[j + 2][1])
                        op = toks[j + 1][1]
                        if op == "=":
                            names.append(val)
                        elif op == "=~":
                            regexes.append(val)
                    j += 3
                elif k == "str":  # {"metric.name"} (Prometheus 3)
                    names.append(unquote(t))
                    j += 1
                else:
                    j += 1
            i = j + 1
            continue
        if text == "[":  # range or subquery
            j = i
            while j < n and toks[j][1] != "]":
                j += 1
            i = j + 1
            continue
        if kind == "ident":
            low = text.lower()
            if low in LABEL_LIST_KEYWORDS:
                if nxt == "(":
                    j = i + 2
                    while j < n and toks[j][1] != ")":
                        j += 1
                    i = j + 1
                else:
                    i += 1
                continue
            if low in KEYWORDS:
                i += 1
                continue
            if low in AGGREGATIONS and (nxt or "").lower() in ("by", "without"):  # sum by (l) (...)
                i += 1
                continue
            if nxt == "(":
                if text not in FUNCTIONS and low not in AGGREGATIONS:
                    problems.append("unknown PromQL function %s()" % text)
                i += 1
                continue
            names.append(text)
        i += 1
    return names, regexes, problems


def variable_query_exprs(query):
    """The PromQL inside a Prometheus template variable's query."""
    if isinstance(query, dict):
        query = query.get("query", "")
    if not isinstance(query, str):
        return []
    q = query.strip()
    m = re.fullmatch(r'label_values\((.*)\)', q, re.S)
    if m:
        args = m.group(1)
        # label_values(label) has no metric; label_values(selector, label) has one
        depth, cut = 0, -1
        for k, c in enumerate(args):
            depth += c in "({[" and 1 or c in ")}]" and -1 or 0
            if c == "," and depth == 0:
                cut = k
        return [args[:cut]] if cut >= 0 else []
    m = re.fullmatch(r'query_result\((.*)\)', q, re.S)
    if m:
        return [m.group(1)]
    return []  # label_names(), metrics(re), a custom list


# ---------------------------------------------------------------------------------------------
# The dashboard

def walk_panels(panels, out):
    for p in panels or []:
        if not isinstance(p, dict):
            continue
        out.append(p)
        walk_panels(p.get("panels"), out)  # a collapsed row holds its panels
    return out


def ds_problem(ds, known):
    """None if a datasource reference is usable, else why not."""
    if ds is None or ds == "" or ds == {}:
        return "no datasource"
    ref = ds.get("uid") if isinstance(ds, dict) else ds
    if isinstance(ds, dict) and not ref:
        return "datasource without uid"
    if not isinstance(ref, str):
        return "datasource %r is not a string" % (ref,)
    for v in grafana_vars(ref):
        if v not in known:
            return "datasource %s names no template variable or __inputs entry" % ref
    return None


def check_dashboard(path, catalog):
    """(problems, stats) of one dashboard file."""
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except OSError as e:
        return ["cannot read: %s" % (e.strerror or e)], None
    except ValueError as e:
        return ["not valid JSON: %s" % e], None
    if not isinstance(dash, dict):
        return ["not a dashboard (the top level is not an object)"], None
    if "dashboard" in dash and "panels" not in dash and isinstance(dash["dashboard"], dict):
        dash = dash["dashboard"]  # the HTTP API's {"dashboard": ...} wrapper

    problems = []
    templ = [v for v in (dash.get("templating") or {}).get("list") or [] if isinstance(v, dict)]
    variables = {v.get("name") for v in templ if v.get("name")}
    inputs = {i.get("name") for i in dash.get("__inputs") or [] if isinstance(i, dict)}
    ds_names = {v.get("name") for v in templ if v.get("type") == "datasource"} | inputs
    used, nqueries = set(), 0

    def check_expr(where, expr):
        nonlocal nqueries
        nqueries += 1
        for v in grafana_vars(expr):
            if not v.startswith("__") and v not in variables:
                problems.append("%s: $%s is not a template variable" % (where, v))
        names, regexes, errs = promql_names(expr)
        problems.extend("%s: %s" % (where, e) for e in errs)
        for name in names:
            used.add(name)
            why = catalog.problem(name)
            if why:
                problems.append("%s: %s" % (where, why))
        for rx in regexes:
            why = catalog.regex_problem(rx)
            if why:
                problems.append("%s: %s" % (where, why))

    for v in templ:
        where = "variable %s" % v.get("name")
        if v.get("type") == "query":
            why = ds_problem(v.get("datasource"), ds_names)
            if why:
                problems.append("%s: %s" % (where, why))
            for expr in variable_query_exprs(v.get("query")):
                check_expr(where, expr)

    for a in (dash.get("annotations") or {}).get("list") or []:
        if isinstance(a, dict) and a.get("expr"):
            check_expr("annotation %s" % a.get("name"), a["expr"])

    panels = walk_panels(dash.get("panels"), [])
    if not panels:
        problems.append("no panels")
    if "rows" in dash:
        problems.append("old-style \"rows\" (schemaVersion < 16): not checked; re-save it in "
                        "Grafana")
    seen = {}
    for p in panels:
        pid, title = p.get("id"), p.get("title", "")
        where = "panel %s %r" % (pid, title)
        if pid is None:
            problems.append("%s: no id" % where)
        elif pid in seen:
            problems.append("%s: duplicate id (also %r)" % (where, seen[pid]))
        else:
            seen[pid] = title
        if p.get("type") == "row":
            continue
        why = ds_problem(p.get("datasource"), ds_names)
        if why:
            problems.append("%s: %s" % (where, why))
        refids = set()
        for t in p.get("targets") or []:
            ref = t.get("refId")
            twhere = "%s target %s" % (where, ref)
            if ref in refids:
                problems.append("%s: duplicate refId" % twhere)
            refids.add(ref)
            if "datasource" in t:
                why = ds_problem(t["datasource"], ds_names)
                if why:
                    problems.append("%s: %s" % (twhere, why))
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.append("%s: no expr" % twhere)
                continue
            check_expr(twhere, expr)
    stats = {"panels": len(panels), "queries": nqueries, "metrics": len(used)}
    return problems, stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metrics-source", required=True,
                    help="control/metrics.c: the table of metric families")
    ap.add_argument("--source-root",
                    help="where to find the data plane's counter tables (default: the parent "
                         "of the metrics source's folder)")
    ap.add_argument("--list-metrics", action="store_true",
                    help="print the exported series names and exit")
    ap.add_argument("dashboards", nargs="*", metavar="DASHBOARD.json")
    args = ap.parse_args(argv)
    try:
        catalog = Catalog(args.metrics_source, args.source_root)
    except SourceError as e:
        print("check_dashboard: %s" % e, file=sys.stderr)
        return 2
    if args.list_metrics:
        print("\n".join(sorted(catalog.series)))
        return 0
    if not args.dashboards:
        ap.error("no dashboard given")
    failed = False
    for path in args.dashboards:
        problems, stats = check_dashboard(path, catalog)
        if problems:
            failed = True
            print("%s: %d problem(s):" % (path, len(problems)), file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
        else:
            print("%s: OK: %d panels, %d queries, %d distinct metrics, all exported by %s "
                  "(%d families in its table, %d per-core generated)"
                  % (path, stats["panels"], stats["queries"], stats["metrics"],
                     args.metrics_source, len(catalog.families), len(catalog.generated)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
