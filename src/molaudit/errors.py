"""The fixed set of error codes carried by ``error`` rows, and the package's exceptions."""

from __future__ import annotations

__all__ = ["ERROR_CODES", "ColumnNotFoundError", "MolauditWarning", "WaitTimeoutError",
           "WorkersLostError"]

#: error_code -> (stage, meaning). Every error row carries one of these codes.
ERROR_CODES: dict[str, tuple[str, str]] = {
    "empty_input": (
        "input",
        "the record has no structure (empty or missing SMILES, or a molblock with 0 atoms)",
    ),
    "parse_error": ("parse", "RDKit could not parse the SMILES or molblock"),
    "valence_error": ("sanitize", "an atom has a valence RDKit does not allow"),
    "kekulization_error": ("sanitize", "aromatic system cannot be kekulized"),
    "sanitization_error": ("sanitize", "another RDKit sanitization failure"),
    "too_large": ("parse", "more heavy atoms than AuditOptions.max_heavy_atoms"),
    "whitespace_in_smiles": (
        "input",
        "the SMILES field holds whitespace inside the structure (RDKit would read only the part "
        "before it); the message names what was found",
    ),
    "critical_check": (
        "checks",
        "a check of severity 'critical' fired (dummy atoms, query features, InChI failed): "
        "not one defined compound (see molaudit.molecule.checks.status_for)",
    ),
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


class WaitTimeoutError(RuntimeError, TimeoutError):
    """A wait on a worker pool or a Dask cluster ran out of its bound (see molaudit.run.waits).

    The message names what stopped (the audit or the analytic), what it waited for and how much
    was done.
    """


class WorkersLostError(RuntimeError):
    """Every worker that ran a chunk of an analytic died (Dask ``KilledWorker``); the message
    names the analytic's function and how many chunks were done."""
