"""Prints without end; the output cap must stop the program."""
import sys

block = "P" * 65536
for _ in range(16384):  # 1 GiB safety cap
    sys.stdout.write(block)
sys.stderr.write("\nESCAPED output limit: wrote 1 GiB\n")
sys.exit(1)
