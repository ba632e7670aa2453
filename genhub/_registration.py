"""Register genhub's families with transformers' Auto classes without importing torch at `import genhub`.

`import genhub` must make `AutoConfig/AutoModel.from_pretrained` know genhub's model types, yet the package's
command lines (`python -m genhub.train --help`) should not pay for torch and transformers' modelling code.
So: when transformers' Auto modules are already loaded, genhub.models (whose import registers every family) is
imported at once; otherwise a finder first on `sys.meta_path` watches transformers' own imports and imports
genhub.models as soon as an Auto module has loaded and no transformers module is still half-way through its
import (registering earlier would be a circular import), then takes itself off `sys.meta_path`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys

TRIGGERS = ("transformers.models.auto.configuration_auto", "transformers.models.auto.modeling_auto")


def register() -> None:
    """Import genhub.models: its import registers every family (a no-op when it is already imported)."""
    importlib.import_module("genhub.models")


class _AfterTransformers(importlib.abc.MetaPathFinder):
    """Counts the transformers modules being executed; registers once an Auto module is loaded and none is."""

    def __init__(self):
        self.depth, self.pending = 0, False

    def find_spec(self, fullname, path, target=None):
        if fullname != "transformers" and not fullname.startswith("transformers."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader.exec_module = self._watched(spec.loader.exec_module)
            return spec
        return None

    def _watched(self, execute):
        def exec_module(module):
            self.depth += 1
            try:
                execute(module)
            finally:
                self.depth -= 1
            self.pending = self.pending or module.__name__ in TRIGGERS
            if self.pending and self.depth == 0 and self in sys.meta_path:
                sys.meta_path.remove(self)
                register()

        return exec_module


def install() -> None:
    """Register now if transformers' Auto modules are loaded, else as soon as they are."""
    if any(name in sys.modules for name in TRIGGERS):
        register()
    elif not any(isinstance(finder, _AfterTransformers) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterTransformers())
