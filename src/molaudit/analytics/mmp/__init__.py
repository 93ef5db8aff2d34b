"""Matched molecular pairs (mmpdb 3 semantics): fragment, index, pair.

``fragment`` cuts molecules (with ``plan``, ``keys`` and ``stereo``), ``index`` groups fragments
on their constant part and finds pairs, ``analytic`` is the registered ``mmp`` analytic.
"""
