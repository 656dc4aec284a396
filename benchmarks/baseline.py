"""The baseline: Pix2Pix trained the way the TensorFlow tutorial does.

The tutorial's architecture (its `downsample`/`upsample` blocks: BatchNorm everywhere
but the first layer, the 1x1 bottleneck included; LeakyReLU with Keras' default slope)
and its training step: one `tf.function` with two gradient tapes, `apply_gradients`,
float32, default threading, no tuning. Kept only to measure the package against.
"""

from __future__ import annotations

import keras
import tensorflow as tf

OUTPUT_CHANNELS = 3
LAMBDA = 100


def downsample(filters, size, apply_batchnorm=True):
    init = tf.random_normal_initializer(0.0, 0.02)
    block = keras.Sequential()
    block.add(keras.layers.Conv2D(filters, size, strides=2, padding="same",
                                  kernel_initializer=init, use_bias=False))
    if apply_batchnorm:
        block.add(keras.layers.BatchNormalization())
    block.add(keras.layers.LeakyReLU())
    return block


def upsample(filters, size, apply_dropout=False):
    init = tf.random_normal_initializer(0.0, 0.02)
    block = keras.Sequential()
    block.add(keras.layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                                           kernel_initializer=init, use_bias=False))
    block.add(keras.layers.BatchNormalization())
    if apply_dropout:
        block.add(keras.layers.Dropout(0.5))
    block.add(keras.layers.ReLU())
    return block


def Generator(size: int = 256):
    """The tutorial's U-Net; at sizes other than 256 with log2(size) levels (a 1x1
    bottleneck, as the tutorial's 8 at 256), the decoder mirroring the encoder."""
    inputs = keras.layers.Input(shape=[size, size, 3])
    levels = size.bit_length() - 1
    filters = [64, 128, 256] + [512] * (levels - 3)
    down_stack = [downsample(f, 4, apply_batchnorm=i > 0) for i, f in enumerate(filters)]
    up_stack = [upsample(f, 4, apply_dropout=i < 3)
                for i, f in enumerate(reversed(filters[:-1]))]
    last = keras.layers.Conv2DTranspose(OUTPUT_CHANNELS, 4, strides=2, padding="same",
                                        kernel_initializer=tf.random_normal_initializer(0, 0.02),
                                        activation="tanh")
    x = inputs
    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])
    for up, skip in zip(up_stack, skips):
        x = up(x)
        x = keras.layers.Concatenate()([x, skip])
    return keras.Model(inputs=inputs, outputs=last(x))


def Discriminator(size: int = 256):
    init = tf.random_normal_initializer(0.0, 0.02)
    inp = keras.layers.Input(shape=[size, size, 3], name="input_image")
    tar = keras.layers.Input(shape=[size, size, 3], name="target_image")
    x = keras.layers.concatenate([inp, tar])
    x = downsample(64, 4, False)(x)
    x = downsample(128, 4)(x)
    x = downsample(256, 4)(x)
    x = keras.layers.ZeroPadding2D()(x)
    x = keras.layers.Conv2D(512, 4, strides=1, kernel_initializer=init, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU()(x)
    x = keras.layers.ZeroPadding2D()(x)
    last = keras.layers.Conv2D(1, 4, strides=1, kernel_initializer=init)(x)
    return keras.Model(inputs=[inp, tar], outputs=last)


class TutorialTrainer:
    """The tutorial's models, optimisers, losses and `train_step`."""

    def __init__(self, size: int = 256):
        self.generator = Generator(size)
        self.discriminator = Discriminator(size)
        self.loss_object = keras.losses.BinaryCrossentropy(from_logits=True)
        self.generator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.discriminator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)

    def generator_loss(self, disc_generated_output, gen_output, target):
        gan_loss = self.loss_object(tf.ones_like(disc_generated_output), disc_generated_output)
        l1_loss = tf.reduce_mean(tf.abs(target - gen_output))
        return gan_loss + (LAMBDA * l1_loss), gan_loss, l1_loss

    def discriminator_loss(self, disc_real_output, disc_generated_output):
        real_loss = self.loss_object(tf.ones_like(disc_real_output), disc_real_output)
        generated_loss = self.loss_object(tf.zeros_like(disc_generated_output),
                                          disc_generated_output)
        return real_loss + generated_loss

    @tf.function
    def train_step(self, input_image, target):
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            gen_output = self.generator(input_image, training=True)
            disc_real_output = self.discriminator([input_image, target], training=True)
            disc_generated_output = self.discriminator([input_image, gen_output], training=True)
            gen_total_loss, gen_gan_loss, gen_l1_loss = self.generator_loss(
                disc_generated_output, gen_output, target)
            disc_loss = self.discriminator_loss(disc_real_output, disc_generated_output)
        generator_gradients = gen_tape.gradient(gen_total_loss,
                                                self.generator.trainable_variables)
        discriminator_gradients = disc_tape.gradient(disc_loss,
                                                     self.discriminator.trainable_variables)
        self.generator_optimizer.apply_gradients(
            zip(generator_gradients, self.generator.trainable_variables))
        self.discriminator_optimizer.apply_gradients(
            zip(discriminator_gradients, self.discriminator.trainable_variables))
        return gen_total_loss, disc_loss
