"""Policies planners compare. One module each, with its config model and its kernel:
screening, vaccination, care (access to care), mobile_teams, costs; `daily` runs them in a day."""
