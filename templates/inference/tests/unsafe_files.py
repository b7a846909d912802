"""Files that an attacker could plant in place of model weights.

Each one creates a marker file if something unpickles it, so tests can check
that loading rejected the file without running it.
"""

import pickle
from pathlib import Path

import torch


class TouchOnLoad:
    """Unpickling this object creates `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def write_pickle(path: Path, marker: Path) -> None:
    path.write_bytes(pickle.dumps(TouchOnLoad(marker)))


def write_torch_checkpoint(path: Path, marker: Path) -> None:
    """A torch.save archive, which is a ZIP file with a pickle inside."""
    torch.save({"weights": torch.zeros(2), "payload": TouchOnLoad(marker)}, path)
