"""Adversarial losses (vanilla, LSGAN, hinge) and the L1 term, on PatchGAN logits."""

from __future__ import annotations

import tensorflow as tf


def _bce(label: float, logits: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(logits), label),
                                                logits=logits))


def generator_gan_loss(fake_logits: tf.Tensor, mode: str = "vanilla") -> tf.Tensor:
    """Adversarial loss of the generator: how far D is from calling fakes real.

    vanilla uses the non-saturating form -log D(G(x)), as the paper.
    """
    fake_logits = tf.cast(fake_logits, tf.float32)
    if mode == "vanilla":
        return _bce(1.0, fake_logits)
    if mode == "lsgan":
        return tf.reduce_mean(tf.square(fake_logits - 1.0))
    if mode == "hinge":
        return -tf.reduce_mean(fake_logits)
    raise ValueError(f"`gan_mode` must be vanilla, lsgan or hinge. Received: {mode!r}")


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor,
                       mode: str = "vanilla") -> tuple[tf.Tensor, tf.Tensor]:
    """The discriminator's loss terms on real and fake pairs.

    Returns:
        `(real_term, fake_term)`. The discriminator minimises their mean: the paper
        divides D's objective by 2 to slow D down relative to G.
    """
    real_logits = tf.cast(real_logits, tf.float32)
    fake_logits = tf.cast(fake_logits, tf.float32)
    if mode == "vanilla":
        return _bce(1.0, real_logits), _bce(0.0, fake_logits)
    if mode == "lsgan":
        return (tf.reduce_mean(tf.square(real_logits - 1.0)),
                tf.reduce_mean(tf.square(fake_logits)))
    if mode == "hinge":
        return (tf.reduce_mean(tf.nn.relu(1.0 - real_logits)),
                tf.reduce_mean(tf.nn.relu(1.0 + fake_logits)))
    raise ValueError(f"`gan_mode` must be vanilla, lsgan or hinge. Received: {mode!r}")


def l1_loss(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """Mean absolute error between target and generated images."""
    return tf.reduce_mean(tf.abs(tf.cast(target, tf.float32) - tf.cast(generated, tf.float32)))
