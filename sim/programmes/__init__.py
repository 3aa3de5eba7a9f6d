"""The programmes a policy can hold, one module each (sim.programme gives the protocol).

`registry` finds every `Programme` subclass in this package; `policy` builds the policy
configuration (`PolicyConfig`) from them and, for a run, the `Programmes` the model calls each day.
`python -m sim.programmes` writes docs/PROGRAMMES.md from the same declarations.
"""
