"""Spins on the CPU forever; only a CPU-time limit (or the wall clock) can stop it."""
from hostile import note

note("spinning")
counter = 0
while True:
    counter += 1
