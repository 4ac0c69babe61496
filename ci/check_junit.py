"""Reads a proofdeck junit.xml with junitparser: one case for the run itself and one per
KPI, verdicts as results."""
import sys

from junitparser import JUnitXml

xml = JUnitXml.fromfile(sys.argv[1])
cases = [case for suite in xml for case in suite]
if len(cases) != 14:
    sys.exit(f"expected one case for the run and one per KPI (14), got {len(cases)}")
if cases[0].name != "the run holds evidence":
    sys.exit(f"the first case is the run's own, got {cases[0].name!r}")
for case in cases:
    kinds = sorted({type(r).__name__ for r in case.result})
    print(f"  {case.name}: {', '.join(kinds) or 'passed'}")
print(f"junitparser: {len(cases)} cases OK")
