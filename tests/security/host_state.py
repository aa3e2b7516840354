"""Snapshots of host state that a case must leave unchanged: directory trees and kernel
settings. Nothing here follows a symlink, so a planted link cannot redirect the runner."""
import os
import stat


def snapshot_tree(root):
    """Names, types, modes, owners, sizes, mtimes and contents under `root`; no symlink followed."""
    state = {}
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            content = None
            if stat.S_ISREG(info.st_mode):
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as stream:
                    content = stream.read()
            state[os.path.relpath(path, root)] = (info.st_mode, info.st_uid, info.st_size,
                                                  info.st_mtime_ns, content)
    return state


def compare_snapshots(label, before, after):
    failures = [f"{label}: {name} appeared" for name in after.keys() - before.keys()]
    failures += [f"{label}: {name} disappeared" for name in before.keys() - after.keys()]
    failures += [f"{label}: {name} changed" for name in before.keys() & after.keys()
                 if before[name] != after[name]]
    return failures


HOST_SETTINGS = ["/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname",
                 "/proc/sys/kernel/domainname", "/proc/sys/kernel/modprobe",
                 "/proc/sys/kernel/randomize_va_space", "/proc/sys/user/max_user_namespaces",
                 "/sys/kernel/uevent_helper"]


def read_settings():
    values = {}
    for path in HOST_SETTINGS:
        try:
            with open(path) as setting:
                values[path] = setting.read()
        except OSError:
            values[path] = None
    return values
