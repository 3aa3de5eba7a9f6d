"""The interactive browser page for planners (Mesa's SolaraViz): `migration-sim view`.

Needs the `viz` extra (`pip install -e ".[viz]"`): mesa[viz], solara, solara-assets.
"""
