"""The real-286 real-mode single-instruction suite: 100% of the cases must pass."""
import pytest

from tests.conftest import SHARED
from tests.cpu.sst286 import Suite

ROOT = SHARED / "testdata" / "sst286"
SAMPLE = 40          # cases per form in the default run; --sst-all runs all 250

pytestmark = pytest.mark.skipif(not (ROOT / "metadata.json").exists(),
                                reason="../shared/testdata/sst286 is not beside this checkout")


@pytest.fixture(scope="module")
def suite():
    return Suite(ROOT)


def _forms():
    if not (ROOT / "metadata.json").exists():
        return []
    return sorted(p.name[:-len(".json.gz")] for p in ROOT.glob("*.json.gz"))


@pytest.mark.parametrize("form", _forms())
def test_form(suite, form, request):
    cases = suite.cases(form)
    if not request.config.getoption("--sst-all"):
        cases = cases[:SAMPLE]
    mask = suite.flags_mask(form)
    failures = []
    skipped = [c for c in cases if suite.skip_reason(c)]
    cases = [c for c in cases if not suite.skip_reason(c)]
    for case in cases:
        errs = suite.run(case, mask)
        if errs:
            failures.append(f"{case['name']} ({bytes(case['bytes']).hex()}): " + "; ".join(errs[:4]))
    passed = len(cases) - len(failures)
    print(f"sst286 {form}: {passed}/{len(cases)} passed, {len(skipped)} skipped (286 vs P6)")
    assert not failures, f"{len(failures)} of {len(cases)} failed:\n" + "\n".join(failures[:10])
