"""Diagnostic tests: the methods used on migration routes, and what a disease's config says of
each (sensitivity in each natural-history state, specificity), so that a test is only ever used
with figures measured for that disease.

A disease config lists its figures under `tests:` (conf/disease/*.yaml), each with its source;
a method with no figures for a disease cannot be used for it (the policy is refused before the
run: sim.programmes.testing).
"""

from sim.fields import Probability, Strict

# The methods, and what each is.
METHODS = {
    "symptom_check": "questions about symptoms and a temperature check, then a health worker's assessment",
    "rapid_antigen": "lateral-flow antigen test (SARS-CoV-2 Ag-RDT, influenza RIDT)",
    "pcr": "laboratory RT-PCR of a swab or stool sample",
    "igm": "serum IgM enzyme immunoassay (measles)",
    "cholera_rdt": "rapid diagnostic test on stool for Vibrio cholerae O1/O139",
    "chest_xray": "chest radiograph read for an abnormality suggestive of TB",
    "sputum_smear": "sputum smear microscopy for acid-fast bacilli",
    "xpert": "Xpert MTB/RIF, a cartridge PCR on sputum",
    "igra": "interferon-gamma release assay (QuantiFERON) for TB infection, latent or active",
    "tst": "tuberculin skin test (10 mm), for TB infection, latent or active",
}
METHOD_NAMES = tuple(METHODS)


class TestFigures(Strict):
    """A test's accuracy for one disease. Sensitivity by natural-history state (states not listed
    are not detected: an incubating infection has nothing for an antigen test to find);
    specificity in people not infected."""

    __test__ = False  # not a pytest test class

    sensitivity: dict[str, Probability]
    specificity: Probability
    source: str
