"""`pytest --nbmake` runs the course in quick mode (pix2pix_tf.quick) unless told otherwise;
the kernels it starts inherit this environment."""

import os

os.environ.setdefault("PIX2PIX_TF_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
