#!/usr/bin/env python3
"""TOML documents and what Python's tomllib (the reference: TOML 1.0) reads from them, for
Tests/TOMLTests. Each case is a document and either its value (with types: integers and floats
kept apart) or "error". Dates and times, which Loupe does not read, are left out.

    python3 Tests/Fixtures/toml/make_fixtures.py   # writes cases.json beside this script
"""
import json, math, os, tomllib

valid = [
    # values
    'a = "basic \\" \\\\ \\b \\t \\n \\f \\r \\u00e9 \\U0001F600"',
    "a = 'literal \\n stays'",
    'a = """\nfirst\nsecond"""',
    'a = """\\\n    joined \\\n    line"""',
    'a = """one ""quote"" two"""',
    'a = """ends in two quotes"""""',
    "a = '''\nraw \\ text\n'''",
    "a = '''it's ''fine'''''",
    'a = "" \nb = \'\'',
    "a = 0\nb = +17\nc = -17\nd = 1_000_000\ne = 0xDEAD_beef\nf = 0o755\ng = 0b1101",
    "a = 9223372036854775807\nb = -9223372036854775808",
    "a = 3.14\nb = -0.01\nc = 5e+22\nd = 1e06\ne = -2E-2\nf = 6.626e-34\ng = 224_617.445_991\nh = 0.0\ni = -0.0",
    "a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan",
    "a = true\nb = false",
    "a = [1, 2, 3]\nb = [\"x\", 'y']\nc = [[1, 2], [\"a\"]]\nd = []\ne = [1, 2.5, \"mixed\"]",
    "a = [\n  1, # one\n  2,\n  # nothing\n]",
    "a = { x = 1, y = \"two\", z = [3] }\nb = {}",
    "a = { x.y = 1, x.z = 2 }",
    # keys
    "bare_key-1 = 1\n\"quoted key\" = 2\n'literal key' = 3\n\"\" = 4",
    "a.b.c = 1\na.b.d = 2\na.e = 3",
    "a . b = 1\n\"a\".c = 2",
    "1234 = 5",
    "site.\"google.com\" = true",
    # tables
    "[t]\nx = 1\n[u]\ny = 2",
    "[a.b.c]\nx = 1\n[a]\ny = 2",
    "[ a . b ]\nx = 1",
    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true",
    "[[run]]\nm = 1\n[[run]]\nm = 2\n[run.sub]\nk = 3",
    "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[[fruits.varieties]]\nname = \"granny smith\"\n[[fruits]]\nname = \"banana\"",
    "# only a comment\n\n   \t\n",
    "a = 1 # trailing comment\r\nb = 2\r\n",
    "[x] # header comment\n",
    "title = \"t\"\n[models]\nm = { path = \"a.safetensors\", arch = \"a.json\" }",
    "",
]

invalid = [
    "a = 1\na = 2", "a.b = 1\na.b = 2", "a = 1\na.b = 2", "[t]\n[t]", "[a]\nb = 1\n[a.b]",
    "a = {}\n[a]", "a = { x = 1 }\na.y = 2", "[a.b]\n[a]\nb = 1", "[[a]]\n[a]", "a = []\n[[a]]",
    "[fruit.apple]\n[fruit]\napple.color = 1",
    "a = [1, }", "[\\", "[[\\", "[ \\]", "\\ = 1", "a = { \\ = 1 }", "a = ", "= 1", "a", "a =1 b = 2",
    "a = 01", "a = 1__0", "a = _1", "a = 1_", "a = 1.", "a = .5", "a = 0x-1", "a = 1e", "a = 1e_5",
    "a = 0xG", "a = 9223372036854775808", "a = +0x1", "a = 1.2.3", "a = 1e400",
    'a = "unterminated', "a = 'unterminated", 'a = """never closed', "a = '''never closed",
    'a = "line\nbreak"', 'a = "\\x"', 'a = "\\uD800"', 'a = "\\u12"', 'a = "tab\tok\u0001no"',
    "a = { x = 1, }", "a = { x = 1\n}", "a = [1 2]", "a = [1,,2]", "a = tru", "a = TRUE",
    "a = 1\rb = 2", "# comment \u0007 bell", "[a\nb]", "[]", "[a.]", "a.. = 1", "a = 1 # c\n[",
    'a = """\\   not at end"""', "a = 'x'''", "a = {", "a = [", "a = [1,", "[[a]",
    "a = 1979-05-27", "a = 07:32:00", "a = 1979-05-27T07:32:00Z",
]


def tagged(v):
    if isinstance(v, bool):
        return {"boolean": v}
    if isinstance(v, int):
        return {"integer": v}
    if isinstance(v, float):
        return {"float": "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else v)}
    if isinstance(v, str):
        return {"string": v}
    if isinstance(v, list):
        return {"array": [tagged(x) for x in v]}
    if isinstance(v, dict):
        return {"table": {k: tagged(x) for k, x in v.items()}}
    raise TypeError(type(v))


by_design = {"a = 1979-05-27", "a = 07:32:00", "a = 1979-05-27T07:32:00Z", "a = 9223372036854775808", "a = 1e400"}
cases = []
for doc in valid:
    cases.append({"toml": doc, "value": tagged(tomllib.loads(doc))})
for doc in invalid:
    try:
        value = tomllib.loads(doc)
    except tomllib.TOMLDecodeError:
        cases.append({"toml": doc, "error": True})
        continue
    # What tomllib reads and Loupe refuses by design: dates and times, and numbers beyond 64-bit
    # integers and finite doubles (TOML 1.0: "if an integer cannot be represented losslessly,
    # an error must be thrown"; Python reads any integer, and 1e400 as infinity).
    assert doc in by_design, f"tomllib reads {doc!r}: {value}"
    cases.append({"toml": doc, "error": True, "loupe_only": True})

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json"), "w") as f:
    json.dump(cases, f, indent=1, ensure_ascii=False)
print(f"{len(cases)} cases")
