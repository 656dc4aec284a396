import sys

from pix2pix_tf.cli import main

sys.exit(main())
