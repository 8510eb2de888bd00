"""One line per test of a PyKMIP integration run, from pytest's JUnit XML.

Usage: summarize.py JUNIT_XML

A failing test's line gives the KMIP failure the server answered (Result Reason and Result
Message, from the exception or from the suite's own log lines), the client-side error when the
response could not be parsed, and, separately, what failed in the test's tearDown (the suite's
tearDown cleans up every object of the group, so one server defect there fails many tests).
"""

import re
import sys
import xml.etree.ElementTree as ET

# Exception lines worth showing: the suite's own failures and PyKMIP's parse errors.
EXCEPTION = re.compile(
    r"^((?:kmip|testtools)\.[\w.]+|[A-Z]\w*(?:Error|Exception|Failure)): (.*)$"
)
# The suite logs a failed result's reason and message on their own lines.
LOGGED = re.compile(r"test_integration\.py:\d+ (ResultReason\.\w+|[^<].*)$")


def reasons(text):
    """(body, teardown) exception lines of a failure's text."""
    body, teardown = [], []
    in_teardown = False
    for line in text.splitlines():
        if "traceback-1: {{{" in line:
            in_teardown = True
            continue
        if in_teardown and line.strip() == "}}}":
            in_teardown = False
            continue
        m = EXCEPTION.match(line.strip())
        if m and not m.group(2).startswith("Traceback"):
            (teardown if in_teardown else body).append(f"{m.group(1).split('.')[-1]}: {m.group(2)}")
    return body, teardown


def logged(case):
    out = []
    for tag in ("system-out", "system-err"):
        for el in case.findall(tag):
            for line in (el.text or "").splitlines():
                if line.startswith("ERROR") and "test_integration.py" in line:
                    m = LOGGED.search(line)
                    if m and "object at 0x" not in m.group(1):
                        out.append(m.group(1))
    return out


def main(path):
    root = ET.parse(path).getroot()
    passed = failed = 0
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}"
        problems = case.findall("failure") + case.findall("error")
        if case.findall("skipped"):
            print(f"SKIP {name}")
            continue
        if not problems:
            passed += 1
            print(f"PASS {name}")
            continue
        failed += 1
        body, teardown = [], []
        for p in problems:
            b, t = reasons((p.get("message") or "") + "\n" + (p.text or ""))
            body += b
            teardown += t
        log = logged(case)
        detail = "; ".join(dict.fromkeys(body)) or "(no exception line)"
        if log:
            detail += " [server said: " + " / ".join(dict.fromkeys(log)) + "]"
        if teardown:
            detail += " [tearDown: " + "; ".join(dict.fromkeys(teardown)) + "]"
        print(f"FAIL {name}: {detail}")
    print(f"{passed} passed, {failed} failed")


if __name__ == "__main__":
    main(sys.argv[1])
