// Reboots and kexecs with arguments the kernel rejects after its permission check (a wrong
// magic number, too many segments, unknown flags): even a broken sandbox reboots nothing, and
// only a permission error shows the capability check refused.
#include <linux/reboot.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

int main(void) {
  ATTEMPT_PERM("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678,
                                 LINUX_REBOOT_CMD_CAD_OFF, NULL));
  ATTEMPT_PERM("kexec_load", syscall(SYS_kexec_load, 0, 1000, NULL, 0xffff0000UL));
  ATTEMPT_PERM("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0xfffffff0UL));
  return finish();
}
