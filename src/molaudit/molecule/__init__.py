"""Stage 2, the per-molecule audit: parse, check, standardize and profile one record.

``pipeline`` runs the stages for one record; ``checks`` holds the check catalogue and the score,
``standardize`` the parent and dedup keys, ``fragments`` the counterion/solvent rules,
``properties`` the descriptors and alerts, ``alert_screen`` the pattern-fingerprint prescreen,
``fingerprints`` the packed Morgan bits.
"""
