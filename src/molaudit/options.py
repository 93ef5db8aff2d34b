"""Audit options: one frozen dataclass whose digest is part of every cache key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

__all__ = ["AuditOptions"]


@dataclass(frozen=True)
class AuditOptions:
    """Settings of the per-molecule audit.

    The options object, not module globals, carries settings into worker processes, and
    :meth:`digest` is part of every cache key, so changing any option is a cache miss.

    Parameters
    ----------
    standardize : bool
        Run the standardization steps (cleanup, fragment parent, neutralize).
    canonical_tautomer : bool
        Also canonicalize the tautomer of the standardized parent (slow, off by default).
    fp_radius, fp_size : int
        Morgan fingerprint radius and length in bits (must be a multiple of 64).
    alerts : bool
        Match PAINS (A/B/C) and Brenk structural alerts.
    timeout : float
        Per-molecule time limit in seconds; a molecule that exceeds it becomes an
        ``error`` row with code ``timeout``. ``0`` disables the limit.
    max_heavy_atoms : int
        Molecules with more heavy atoms are not profiled and become ``error`` rows with code
        ``too_large`` (a guard against polymers and proteins pasted as SMILES). ``0`` disables.
    max_structure_chars : int
        Longer SMILES/molblock texts are not parsed at all (``too_large``): a 100 MB line must
        not stall a worker. ``0`` disables.
    macrocycle_size : int
        Smallest ring size flagged by the ``macrocycle`` check.
    undefined_stereo : {'series', 'info', 'warning'}
        How undefined stereo counts (see :mod:`molaudit.molecule.checks`): ``'series'``
        (default) makes it information unless another molecule of the batch with the same
        Murcko scaffold defines stereo, then a warning (``stereo_undefined_in_series``);
        ``'info'`` never warns; ``'warning'`` always warns.
    trivial_heavy_atoms : int
        Molecules (parents) with fewer heavy atoms than this are flagged ``trivial_molecule``.
    max_memory_mb : int
        Memory a worker may take on top of its footprint while it audits (MiB of address
        space); a molecule that needs more becomes an ``error`` row with code
        ``memory_exceeded`` and the rest of the batch goes on. Enforced with a soft
        ``RLIMIT_AS`` in worker processes and in-process on the main thread (see
        :mod:`molaudit.run.limits`). ``0`` disables.
    """

    standardize: bool = True
    canonical_tautomer: bool = False
    fp_radius: int = 2
    fp_size: int = 2048
    alerts: bool = True
    timeout: float = 10.0
    max_heavy_atoms: int = 1000
    max_structure_chars: int = 200_000
    macrocycle_size: int = 12
    trivial_heavy_atoms: int = 3
    max_memory_mb: int = 4096
    undefined_stereo: str = "series"
    #: 2: parents chosen by the counterion rules, cumulative dedup keys (salt_key), stereo
    #: checks without cage/labile-C=N noise; older cached results are not served.
    _schema: int = field(default=2, repr=False)
    #: Fault injection for tests: a worker process that meets exactly this structure text kills
    #: itself with SIGKILL (as a segfault or the OOM killer would). Never set it in real use.
    _test_crash_on: str = field(default="", repr=False)
    #: Fault injection for tests: auditing exactly this structure text allocates memory like a
    #: runaway molecule (2 x max_memory_mb, see molaudit.run.limits). Never set it in real use.
    _test_allocate_on: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        _check_int("fp_radius", self.fp_radius, 0, 6)
        _check_int("fp_size", self.fp_size, 64, 1 << 20)
        if self.fp_size % 64:
            raise ValueError(f"fp_size must be a multiple of 64, got {self.fp_size}")
        if not isinstance(self.timeout, int | float) or self.timeout < 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {self.timeout!r}")
        _check_int("max_heavy_atoms", self.max_heavy_atoms, 0, 10**7)
        _check_int("macrocycle_size", self.macrocycle_size, 3, 10**4)
        _check_int("max_structure_chars", self.max_structure_chars, 0, 10**10)
        _check_int("trivial_heavy_atoms", self.trivial_heavy_atoms, 0, 100)
        _check_int("max_memory_mb", self.max_memory_mb, 0, 1 << 30)
        if self.undefined_stereo not in ("series", "info", "warning"):
            raise ValueError(
                "undefined_stereo must be 'series', 'info' or 'warning', "
                f"got {self.undefined_stereo!r}"
            )
        for name in ("standardize", "canonical_tautomer", "alerts"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        """Plain-JSON form of the options (also what :meth:`digest` hashes)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AuditOptions:
        """Rebuild options from :meth:`to_dict` output, ignoring unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def digest(self) -> str:
        """Stable hex digest of every option value.

        Options added after the first release enter the digest only when set to something
        other than their default, so adding an option does not invalidate every cached result
        (with the default the per-molecule result is what it was before the option existed).
        """
        values = {
            k: v
            for k, v in self.to_dict().items()
            if not (k in _ADDED_LATER and v == _ADDED_LATER[k])
        }
        text = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


#: Options added after the first release, with the default that keeps older digests valid.
_ADDED_LATER = {"max_memory_mb": 4096, "_test_allocate_on": "", "undefined_stereo": "series"}


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
