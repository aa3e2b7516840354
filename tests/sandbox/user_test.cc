// The user-namespace side of a sandbox that the parent checks up front: the directories the
// sandbox's unprivileged host id must search before its own root exists.
#include "sandbox/user.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace sandbox::user {
namespace {

class HostSearchable : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agentd-user-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_EQ(::mkdir((root_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(::chmod((root_ + "/tmp").c_str(), 01777), 0);
  }
  void TearDown() override {
    ::rmdir((root_ + "/tmp").c_str());
    ::rmdir(root_.c_str());
  }
  std::string root_;
};

TEST_F(HostSearchable, AcceptsTheUsualModes) {
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  auto checked = check_host_searchable(root_);
  EXPECT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_TRUE(check_host_searchable("/").ok()) << "this host's / or /tmp is not searchable";
}

// mktemp -d makes 0700: a debootstrapped root made that way failed every sandbox with
// "forbid nested user namespaces: Permission denied (errno 13)" and nothing else.
TEST_F(HostSearchable, RefusesARootOthersCannotSearchNamingItAndTheFix) {
  ASSERT_EQ(::chmod(root_.c_str(), 0700), 0);
  auto checked = check_host_searchable(root_);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find(root_ + " has mode 0700"), std::string::npos)
      << checked.error().message;
  EXPECT_NE(checked.error().message.find("chmod o+x"), std::string::npos);
}

TEST_F(HostSearchable, RefusesAMissingOrClosedTmp) {
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((root_ + "/tmp").c_str(), 0700), 0);
  auto closed = check_host_searchable(root_);
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.error().message.find(root_ + "/tmp has mode 0700"), std::string::npos)
      << closed.error().message;
  ASSERT_EQ(::rmdir((root_ + "/tmp").c_str()), 0);
  auto missing = check_host_searchable(root_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("stat " + root_ + "/tmp"), std::string::npos)
      << missing.error().message;
  ASSERT_EQ(::mkdir((root_ + "/tmp").c_str(), 0755), 0);
}

}  // namespace
}  // namespace sandbox::user
