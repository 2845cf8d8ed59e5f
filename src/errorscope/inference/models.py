"""Model sources: turn a name such as ``timm:resnet50.a1_in1k`` into a model and its preprocessing.

A source is registered under a prefix (``timm``, ``torchvision``); :func:`resolve_model_names` expands
wildcards (``timm:resnet*``) and :func:`load_model` builds one model. A user's own ``torch.nn.Module`` is
wrapped in a :class:`ModelSpec` with ``module=`` set (Python API only).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._optional import require
from ..constants import N_CLASSES
from .._safe import safe_filename
from ..exceptions import ErrorscopeError, InvalidInputError
from .preprocessing import Preprocessing, from_timm_config, from_torchvision_weights

__all__ = ["EVAL_SIZES", "DEFAULT_EVAL_SIZE", "ModelSpec", "LoadedModel", "ModelSource", "SOURCES", "register_source", "parse_model_name",
           "resolve_model_names", "load_model", "WeightsUnavailableError", "output_stem"]


#: Which timm data config ``predict`` uses: ``"test"`` (the weights' ``test_input_size`` / ``test_crop_pct``
#: when they have one, as timm's ``validate.py`` does by default) or ``"train"`` (the train-size config, timm's
#: ``--use-train-size``). Models without a test size get the same config either way.
EVAL_SIZES: tuple[str, ...] = ("test", "train")
DEFAULT_EVAL_SIZE = "test"


class WeightsUnavailableError(ErrorscopeError, OSError):
    """Pretrained weights could not be downloaded or read."""


@dataclass(frozen=True)
class ModelSpec:
    """What to run: a registered source and architecture, or a user's module.

    Attributes
    ----------
    name : the model's name in outputs (``"timm:resnet50.a1_in1k"``, or any name for a user module).
    source : ``"timm"``, ``"torchvision"``, another registered prefix, or ``"user"``.
    arch : the name inside the source (``"resnet50.a1_in1k"``).
    pretrained : load the source's pretrained weights (False: random weights, for tests).
    checkpoint : a local state-dict file to load instead of downloading.
    module : the ``torch.nn.Module`` of a user model (source ``"user"``).
    preprocessing : overrides the source's preprocessing (required meaning for user modules: default
        224 px, crop 0.875, bilinear, ImageNet mean/std).
    eval_size : timm models: ``"test"`` (default, timm's evaluation resolution) or ``"train"``
        (:data:`EVAL_SIZES`).
    """

    name: str
    source: str
    arch: str
    pretrained: bool = True
    checkpoint: str | None = None
    module: Any = field(default=None, repr=False, compare=False)
    preprocessing: Preprocessing | None = None
    eval_size: str = DEFAULT_EVAL_SIZE

    def __post_init__(self) -> None:
        if self.eval_size not in EVAL_SIZES:
            raise InvalidInputError(f"Expected `eval_size` to be one of {list(EVAL_SIZES)}, but got {self.eval_size!r}.")


@dataclass
class LoadedModel:
    """A built model ready for inference."""

    spec: ModelSpec
    module: Any
    preprocessing: Preprocessing
    n_params: int


class ModelSource:
    """A family of named models. Subclasses implement :meth:`list` and :meth:`create`."""

    prefix = ""

    def list(self, pattern: str, *, pretrained: bool) -> list[str]:
        """Architecture names matching the fnmatch ``pattern``."""
        raise NotImplementedError

    def create(self, spec: ModelSpec) -> tuple[Any, Preprocessing]:
        """Build the module of ``spec`` (in eval mode, on the CPU) and its preprocessing."""
        raise NotImplementedError


def _download_error(spec: ModelSpec, exc: BaseException) -> WeightsUnavailableError:
    return WeightsUnavailableError(
        f"Could not load the pretrained weights of {spec.name}: {type(exc).__name__}: {exc}. "
        "If this machine has no network, download the weights elsewhere and pass them with --checkpoint PATH, "
        "or run with --no-pretrained for random weights (tests only)."
    )


def _build(spec: ModelSpec, build: Callable[[bool], Any]) -> Any:
    """``build(download)``, then the checkpoint if one is given; a failed weight download becomes a clear error.

    ``build`` raises InvalidInputError for an unknown name; any other failure while downloading weights is
    reported as :class:`WeightsUnavailableError` with the ways around it.
    """
    download = spec.pretrained and not spec.checkpoint
    try:
        model = build(download)
    except InvalidInputError:
        raise
    except Exception as exc:
        if download:
            raise _download_error(spec, exc) from exc
        raise
    if spec.checkpoint:
        model.load_state_dict(_load_state_dict(spec.checkpoint))
    return model


def _load_state_dict(path: str | Path):
    torch = require("torch", extra="torch")
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Checkpoint {path} does not exist. Pass the path of a saved state dict.")
    if path.suffix == ".safetensors":
        st = require("safetensors.torch", extra="torch", feature="Reading .safetensors checkpoints")
        return st.load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    return {k.removeprefix("module."): v for k, v in state.items()}


class TimmSource(ModelSource):
    """``timm:NAME`` models built with ``timm.create_model``; preprocessing from timm's data config."""

    prefix = "timm"

    def list(self, pattern: str, *, pretrained: bool) -> list[str]:
        timm = require("timm", extra="torch")
        return list(timm.list_models(pattern, pretrained=pretrained))

    def create(self, spec: ModelSpec) -> tuple[Any, Preprocessing]:
        timm = require("timm", extra="torch")

        def build(download: bool):
            try:
                return timm.create_model(spec.arch, pretrained=download)
            except RuntimeError as exc:
                if "Unknown model" in str(exc):
                    raise InvalidInputError(f"timm has no model {spec.arch!r} ({exc}). "
                                            "`timm.list_models('pattern*')` lists the names.") from exc
                raise

        model = _build(spec, build)
        # timm's validate.py: resolve_data_config(vars(args), model=model, use_test_size=not args.use_train_size)
        test = spec.eval_size == "test"
        config = timm.data.resolve_data_config({}, model=model, use_test_size=test)
        return model, from_timm_config(config, data_config="timm-test" if test else "timm-train")


class TorchvisionSource(ModelSource):
    """``torchvision:NAME`` classification models; preprocessing from the weights' ``transforms()``."""

    prefix = "torchvision"

    def list(self, pattern: str, *, pretrained: bool) -> list[str]:
        tv = require("torchvision", extra="torch")
        return [n for n in tv.models.list_models(module=tv.models) if fnmatch.fnmatchcase(n, pattern)]

    def create(self, spec: ModelSpec) -> tuple[Any, Preprocessing]:
        tv = require("torchvision", extra="torch")
        names = tv.models.list_models(module=tv.models)
        if spec.arch not in names:
            close = fnmatch.filter(names, f"*{spec.arch[:4]}*")[:5]
            raise InvalidInputError(f"torchvision has no classification model {spec.arch!r}"
                                    + (f"; close names: {', '.join(close)}." if close else "."))
        weights_enum = tv.models.get_model_weights(spec.arch)
        model = _build(spec, lambda download: tv.models.get_model(spec.arch, weights="DEFAULT" if download else None))
        return model, from_torchvision_weights(weights_enum.DEFAULT)


#: prefix -> source
SOURCES: dict[str, ModelSource] = {"timm": TimmSource(), "torchvision": TorchvisionSource()}


def register_source(source: ModelSource, *, overwrite: bool = False) -> None:
    """Make ``source`` available under ``source.prefix`` (``prefix:NAME`` model names)."""
    if not source.prefix or ":" in source.prefix:
        raise InvalidInputError(f"Expected a source prefix without ':', but got {source.prefix!r}.")
    if source.prefix in SOURCES and not overwrite:
        raise InvalidInputError(f"A model source {source.prefix!r} is already registered; pass overwrite=True.")
    SOURCES[source.prefix] = source


def parse_model_name(name: str) -> tuple[str, str]:
    """Split ``"timm:resnet50"`` into ``("timm", "resnet50")``; a name without a prefix is an error."""
    prefix, sep, arch = name.strip().partition(":")
    if not sep or not arch:
        raise InvalidInputError(
            f"Expected a model name like 'timm:resnet50' or 'torchvision:resnet50' (source:name), but got {name!r}.")
    if prefix not in SOURCES:
        raise InvalidInputError(f"Unknown model source {prefix!r} in {name!r}; known sources: {sorted(SOURCES)}.")
    return prefix, arch


def read_models_file(path: str | Path) -> list[str]:
    """Model names from a text file, one per line; blank lines and ``#`` comments are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"--models-from file {path} does not exist.")
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    if not names:
        raise InvalidInputError(f"{path} lists no model names (one 'source:name' per line).")
    return names


def resolve_model_names(names: Iterable[str], *, pretrained: bool = True) -> list[str]:
    """Expand wildcards (``timm:resnet*``) and drop duplicates, keeping the order of first appearance.

    With ``pretrained``, timm wildcards match pretrained tags (``resnet50.a1_in1k``); without, architectures.
    """
    out: list[str] = []
    for name in names:
        prefix, arch = parse_model_name(name)
        if any(c in arch for c in "*?["):
            matches = SOURCES[prefix].list(arch, pretrained=pretrained)
            if not matches:
                raise InvalidInputError(f"No {prefix} model matches {arch!r}.")
            out.extend(f"{prefix}:{m}" for m in matches)
        else:
            out.append(f"{prefix}:{arch}")
    return list(dict.fromkeys(out))


def spec_from_name(name: str, *, pretrained: bool = True, checkpoint: str | Path | None = None,
                   eval_size: str = DEFAULT_EVAL_SIZE) -> ModelSpec:
    """The :class:`ModelSpec` of a registered model name (``"timm:resnet50.a1_in1k"``).

    Parameters
    ----------
    name : ``prefix:arch``.
    pretrained, checkpoint : see :class:`ModelSpec`.
    eval_size : ``"test"`` (default) or ``"train"`` data config for timm models.

    Returns
    -------
    ModelSpec
    """
    prefix, arch = parse_model_name(name)
    return ModelSpec(f"{prefix}:{arch}", prefix, arch, pretrained=pretrained,
                     checkpoint=str(checkpoint) if checkpoint else None, eval_size=eval_size)


def user_spec(name: str, module: Any, *, preprocessing: Preprocessing | None = None) -> ModelSpec:
    """Wrap a user's ``torch.nn.Module`` that maps (B, 3, H, W) images to (B, 1000) logits."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"Expected a non-empty model name for a user module, but got {name!r}.")
    if not callable(module):
        raise InvalidInputError(f"Expected a torch.nn.Module for model {name!r}, but got {type(module).__name__}.")
    return ModelSpec(name, "user", type(module).__name__, pretrained=False, module=module,
                     preprocessing=preprocessing or Preprocessing())


def load_model(spec: ModelSpec) -> LoadedModel:
    """Build the model of ``spec`` in eval mode and count its parameters."""
    if spec.source == "user":
        module, prep = spec.module, spec.preprocessing or Preprocessing()
    else:
        module, prep = SOURCES[spec.source].create(spec)
        if spec.preprocessing is not None:
            prep = spec.preprocessing
    num_classes = getattr(module, "num_classes", N_CLASSES)
    if num_classes != N_CLASSES:
        raise InvalidInputError(f"{spec.name} has {num_classes} outputs; errorscope needs the 1,000 ImageNet classes.")
    module.eval()
    n_params = sum(int(p.numel()) for p in module.parameters()) if hasattr(module, "parameters") else 0
    return LoadedModel(spec, module, prep, n_params)


def output_stem(name: str) -> str:
    """File stem for a model's outputs: ``timm:resnet50.a1_in1k`` -> ``timm__resnet50.a1_in1k``.

    ``:`` becomes ``__`` and path separators ``_``; any other character outside letters, digits and
    ``. _ + - = @ ,`` becomes ``_`` with a short hash of the name appended
    (:func:`errorscope._safe.safe_filename`), so the stem is a valid file name on every OS and stays in its folder.
    """
    stem = name.replace(":", "__").replace("/", "_").replace("\\", "_")
    if not stem or stem.startswith("."):
        raise InvalidInputError(f"Model name {name!r} does not give a usable file name.")
    return safe_filename(stem)


