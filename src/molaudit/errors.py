"""The fixed set of error codes carried by ``error`` rows, and the package's exceptions."""

from __future__ import annotations

__all__ = ["ERROR_CODES", "ColumnNotFoundError", "MolauditWarning"]

#: error_code -> (stage, meaning). Every error row carries one of these codes.
ERROR_CODES: dict[str, tuple[str, str]] = {
    "empty_input": ("input", "the record has no structure (empty or missing SMILES/molblock)"),
    "parse_error": ("parse", "RDKit could not parse the SMILES or molblock"),
    "valence_error": ("sanitize", "an atom has a valence RDKit does not allow"),
    "kekulization_error": ("sanitize", "aromatic system cannot be kekulized"),
    "sanitization_error": ("sanitize", "another RDKit sanitization failure"),
    "too_large": ("parse", "more heavy atoms than AuditOptions.max_heavy_atoms"),
    "standardization_error": ("standardize", "RDKit's standardizer failed on the molecule"),
    "profile_error": ("profile", "identifiers, properties or alerts could not be computed"),
    "timeout": ("any", "the molecule exceeded AuditOptions.timeout"),
    "memory_exceeded": ("any", "the molecule needed more memory than AuditOptions.max_memory_mb"),
    "worker_crashed": ("worker", "the worker process died on this molecule (segfault, kill)"),
    "internal_error": ("any", "an unexpected exception; please report it"),
}


class MolauditWarning(UserWarning):
    """The one summary warning per batch (errors and warnings found)."""


class ColumnNotFoundError(ValueError):
    """A named column is not in the input; the message suggests the closest name."""
