"""Small classifiers, a seeded trainer, the shipped model zoo, and ImageNet loaders.

- Architectures: :class:`SmallCNN`, :class:`SmallResNet`, :class:`SmallMLP`.
- Training: :func:`train` (progress bar, seeds, optional L2 PGD adversarial
  training), :func:`evaluate_accuracy`, :func:`pgd_l2`.
- Zoo: :func:`pretrained` loads a shipped model in eval mode;
  :func:`zoo_names` lists them and :func:`model_info` gives each one's
  dataset, input shape, classes and test accuracy.
- ImageNet (network or local files): :func:`imagenet_model`,
  :func:`robust_resnet50`, :func:`imagenet_class_names`,
  :func:`imagenet_weights_cached`.

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
from .imagenet import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageNetNormalize,
    imagenet_class_names,
    imagenet_model,
    imagenet_weights_cached,
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
    "imagenet_model",
    "robust_resnet50",
    "imagenet_class_names",
    "imagenet_weights_cached",
    "ImageNetNormalize",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]
