// The "shocker" container escape: open_by_handle_at with a forged handle for inode 2 (the root
// directory of an ext4 filesystem) relative to a bind of the host's root filesystem (/usr is
// bound from it), which opens the host's real / and bypasses every bind. Needs
// CAP_DAC_READ_SEARCH in the initial namespace, so only a permission error is acceptable.
#include <fcntl.h>

#include "tests/security/c/hostile.h"

static long open_host_root_by_handle(const char* mount_path) {
  int mount_fd = open(mount_path, O_RDONLY | O_DIRECTORY);
  if (mount_fd < 0) return -1;
  struct {
    struct file_handle handle;
    unsigned int inode_and_generation[2];
  } forged = {.handle = {.handle_bytes = 8, .handle_type = 1 /* FILEID_INO32_GEN */},
              .inode_and_generation = {2, 0}};
  int fd = open_by_handle_at(mount_fd, &forged.handle, O_RDONLY | O_DIRECTORY);
  return fd;
}

int main(void) {
  struct {
    struct file_handle handle;
    unsigned char bytes[MAX_HANDLE_SZ];
  } own = {.handle = {.handle_bytes = MAX_HANDLE_SZ}};
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, "/usr", &own.handle, &mount_id, 0) == 0) {
    note("name_to_handle_at(/usr) gave a handle of type %d", own.handle.handle_type);
  }
  ATTEMPT_PERM("open_by_handle_at host root via /usr", open_host_root_by_handle("/usr"));
  ATTEMPT_PERM("open_by_handle_at host root via /bin", open_host_root_by_handle("/bin"));
  return finish();
}
