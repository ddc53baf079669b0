"""Content hashes and near-duplicate detection (MinHash over character shingles, LSH banding).

Every essay gets `text_sha1` (exact duplicates) and a MinHash signature of its 5-character
shingles (punctuation and spaces removed, so CJK text works without segmentation). Signatures are
cut into LSH bands; two essays that share a band are candidates, and a candidate is a near
duplicate when the signatures agree on at least `DEFAULT_THRESHOLD` of their positions (an estimate
of the Jaccard similarity of the shingle sets). With 16 bands of 4 rows, pairs at Jaccard 0.7 are
found with probability 0.99, pairs at 0.3 with probability 0.12 (then rejected by the check).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

SHINGLE = 5
NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
DEFAULT_THRESHOLD = 0.7  # estimated Jaccard similarity at or above which an essay is a near duplicate
MAX_SHINGLES = 200_000

_NOISE = re.compile(r"[\W_]+", re.UNICODE)
_rng = np.random.default_rng(20261125)
_A = (_rng.integers(1, 2**63 - 1, NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)).reshape(-1, 1)
_B = _rng.integers(0, 2**63 - 1, NUM_PERM, dtype=np.uint64).reshape(-1, 1)
_P = np.uint64(1_000_003)

Signature = npt.NDArray[np.uint64]


def text_sha1(text: str) -> str:
    """SHA-1 of the normalized essay text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _compact(text: str) -> str:
    return _NOISE.sub("", text.lower())


def shingle_hashes(text: str) -> npt.NDArray[np.uint64]:
    """64-bit hashes of the distinct character shingles of a text (punctuation and spaces removed)."""
    compact = _compact(text)
    codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    if n <= 0:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), dtype=np.uint64)])
        n = 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(SHINGLE):
            h = h * _P + codes[j : j + n]
    return np.unique(h)[:MAX_SHINGLES]


def signature(text: str) -> Signature:
    """MinHash signature (NUM_PERM unsigned 64-bit values) of a text."""
    h = shingle_hashes(text)
    out = np.empty(NUM_PERM, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, len(h), 8192):
            chunk = h[start : start + 8192][None, :]
            v = _A * chunk + _B
            v ^= v >> np.uint64(31)
            mins = v.min(axis=1)
            out = mins if start == 0 else np.minimum(out, mins)
    return out


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per LSH band (the band number is part of the key)."""
    keys = []
    for b in range(BANDS):
        digest = hashlib.blake2b(bytes([b]) + sig[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def to_blob(sig: Signature) -> bytes:
    return sig.astype("<u8").tobytes()


def from_blob(blob: bytes) -> Signature:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)
