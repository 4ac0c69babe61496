"""Reads a proofdeck junit.xml with junitparser: one test case per KPI, verdicts as results."""
import sys

from junitparser import JUnitXml

xml = JUnitXml.fromfile(sys.argv[1])
cases = [case for suite in xml for case in suite]
if len(cases) != 10:
    sys.exit(f"expected one case per KPI (10), got {len(cases)}")
for case in cases:
    kinds = sorted({type(r).__name__ for r in case.result})
    print(f"  {case.name}: {', '.join(kinds) or 'passed'}")
print(f"junitparser: {len(cases)} cases OK")
