# SPDX-License-Identifier: GPL-2.0-only
"""A package for census_leak.py: its leak lives in auth.sessions, so that the
chain leaktrace prints starts at a dotted module name."""
