"""CTI Bridge: screen pops and call outcomes beside Asterisk."""

__version__ = "0.1.0"
