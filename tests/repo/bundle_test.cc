// repo::import_bundle on real bundles made with the git CLI (v2, v3), compared with their source
// repository; and hostile ones: not a bundle at all, a cut or damaged pack, a thin bundle, bad
// or foreign ref names in a hand-made header over a real pack, refs naming blobs or missing
// objects, limits. Every refused bundle must leave nothing at the target directory.
#include "repo/bundle.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "repo/repository.h"
#include "tests/repo/git_test_support.h"

namespace repo {
namespace {

namespace fs = std::filesystem;
using test_support::git;
using test_support::output;
using test_support::read;
using test_support::write;

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/agentd-bundle-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    origin_ = root_ / "origin";
    bare_ = root_ / "imported.git";
    git("init -q -b main " + origin_.string());
    write(origin_ / "src/add.py", "def add(a, b):\n    return a - b\n");
    write(origin_ / "README", "adds\n");
    git_in("add -A");
    git_in("commit -q -m base");
    git_in("tag -a v1 -m 'first release'");
    git_in("tag light");
    write(origin_ / "src/add.py", "def add(a, b):\n    return a + b\n");
    git_in("commit -q -am fix");
    git_in("branch feature");
  }
  void TearDown() override { fs::remove_all(root_); }

  void git_in(const std::string& args) { git("-C " + origin_.string() + " " + args); }
  std::string rev(const std::string& what) {
    return output("git -C " + origin_.string() + " rev-parse " + what);
  }

  // `git bundle create OPTIONS FILE ARGS` in the source repository; the bundle's bytes (empty
  // where git made none).
  std::string bundle(const std::string& args, const std::string& options = "") {
    const fs::path file = root_ / "made.bundle";
    fs::remove(file);
    const std::string command = "git -C " + origin_.string() + " bundle create -q " + options +
                                " " + file.string() + " " + args + " 2>/dev/null";
    [[maybe_unused]] int status = std::system(command.c_str());  // the caller checks the bytes
    return read(file);
  }
  // The packfile of a real bundle, for headers made by hand.
  std::string real_pack() {
    const std::string bytes = bundle("--all");
    return bytes.substr(bytes.find("\n\n") + 2);
  }

  void expect_refused(const std::string& bytes, const std::string& expected_words,
                      const BundleLimits& limits = {}) {
    auto imported = import_bundle(bytes, bare_, limits);
    ASSERT_FALSE(imported.ok()) << "a hostile bundle was imported: " << expected_words;
    EXPECT_NE(imported.error().message.find(expected_words), std::string::npos)
        << imported.error().message;
    EXPECT_FALSE(fs::exists(bare_)) << "a refused bundle left " << bare_;
  }

  fs::path root_, origin_, bare_;
};

TEST_F(BundleTest, AV2BundleOfEverythingBecomesTheSameRepository) {
  auto imported = import_bundle(bundle("--all"), bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->head, rev("HEAD"));
  EXPECT_EQ(imported->head_branch, "refs/heads/main");
  const std::map<std::string, std::string> expected = {
      {"refs/heads/main", rev("main")},
      {"refs/heads/feature", rev("feature")},
      {"refs/tags/v1", rev("refs/tags/v1")},  // the tag object, not its commit
      {"refs/tags/light", rev("light")},
  };
  EXPECT_EQ(imported->refs, expected);

  auto repository = Repository::open(bare_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  EXPECT_EQ(*repository->resolve("HEAD"), rev("HEAD"));
  EXPECT_EQ(*repository->resolve("v1"), rev("v1^{commit}"));
  EXPECT_EQ(*repository->resolve("feature"), rev("feature"));
  // Control: the git CLI finds the same tree and a sound object store.
  EXPECT_EQ(output("git -C " + bare_.string() + " rev-parse HEAD^{tree}"), rev("HEAD^{tree}"));
  EXPECT_EQ(output("git -C " + bare_.string() + " symbolic-ref HEAD"), "refs/heads/main");
  EXPECT_EQ(std::system(("git -C " + bare_.string() + " fsck --strict --no-progress").c_str()), 0);
}

TEST_F(BundleTest, APackOfDeltasImports) {
  // Twenty revisions of a large file: git packs them as deltas against each other.
  std::string text;
  for (int line = 0; line < 2000; ++line) text += "line " + std::to_string(line) + "\n";
  for (int revision = 0; revision < 20; ++revision) {
    text.replace(text.find("line " + std::to_string(revision * 50) + "\n"), 5, "LINE ");
    write(origin_ / "big.txt", text);
    git_in("add big.txt");
    git_in("commit -q -m revision" + std::to_string(revision));
  }
  const std::string bytes = bundle("--all");
  const std::string pack = bytes.substr(bytes.find("\n\n") + 2);
  ASSERT_LT(pack.size(), text.size() * 3) << "git stored the revisions whole: no deltas to test";
  auto imported = import_bundle(bytes, bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->head, rev("HEAD"));
  EXPECT_EQ(output("git -C " + bare_.string() + " show HEAD:big.txt"),
            text.substr(0, text.size() - 1));
}

TEST_F(BundleTest, AV3BundleImportsToo) {
  const std::string version = output("git --version");
  const std::string bytes = bundle("--all", "--version=3");
  if (!bytes.starts_with("# v3 git bundle\n"))
    GTEST_SKIP() << version << " does not write v3 bundles (git bundle create --version=3)";
  auto imported = import_bundle(bytes, bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->head, rev("HEAD"));
  EXPECT_EQ(imported->refs.size(), 4u);
}

TEST_F(BundleTest, HeadFollowsTheBranchWithItsCommitOrIsDetached) {
  git_in("commit -q --allow-empty -m on-feature");  // main moves on; feature stays
  git_in("checkout -q feature");
  auto on_feature = import_bundle(bundle("--all"), bare_);
  ASSERT_TRUE(on_feature.ok()) << on_feature.error().message;
  EXPECT_EQ(on_feature->head_branch, "refs/heads/feature");
  EXPECT_EQ(on_feature->head, rev("feature"));
  fs::remove_all(bare_);

  git_in("checkout -q --detach v1");  // no branch has that commit
  auto detached = import_bundle(bundle("--all"), bare_);
  ASSERT_TRUE(detached.ok()) << detached.error().message;
  EXPECT_EQ(detached->head_branch, "");
  EXPECT_EQ(detached->head, rev("v1^{commit}"));
  EXPECT_EQ(*Repository::open(bare_)->resolve("HEAD"), rev("v1^{commit}"));
}

TEST_F(BundleTest, WithoutHeadMainBecomesHead) {
  git_in("checkout -q feature");
  git_in("commit -q --allow-empty -m on-feature");
  auto imported = import_bundle(bundle("feature main"), bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->head_branch, "refs/heads/main");
  EXPECT_EQ(imported->head, rev("main"));
}

TEST_F(BundleTest, ThingsThatAreNotBundlesAreRefusedByName) {
  const std::string signature = "expected \"# v2 git bundle\" or \"# v3 git bundle\"";
  expect_refused("", signature);
  expect_refused("hello, this is a text file\nwith lines\n", signature);
  std::string random(4096, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 7919 + 13) % 251);
  expect_refused(random, signature);
  expect_refused(std::string("PK\x03\x04\x14\x00\x00\x00", 8) + "zip", "a zip archive");
  write(root_ / "tarred/file", "text\n");
  ASSERT_EQ(
      std::system(
          ("tar -C " + root_.string() + " -cf " + (root_ / "x.tar").string() + " tarred").c_str()),
      0);
  expect_refused(read(root_ / "x.tar"), "a tar archive");
  expect_refused("# v4 git bundle\n", signature);
  expect_refused(real_pack(), "a bare packfile");
}

TEST_F(BundleTest, ErrorsShowHostileBytesCutAndEscaped) {
  auto imported = import_bundle(std::string("\x1b[2J\x07\nrest") + std::string(100, 'A'), bare_);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().message.find("got \"\\x1b[2J\\x07\""), std::string::npos)
      << imported.error().message;
  auto long_line = import_bundle(std::string(5000, 'B'), bare_);
  ASSERT_FALSE(long_line.ok());
  EXPECT_LT(long_line.error().message.size(), 300u) << long_line.error().message;
  EXPECT_NE(long_line.error().message.find("(cut)"), std::string::npos);
}

TEST_F(BundleTest, ACutOrDamagedPackIsRefused) {
  const std::string bytes = bundle("--all");
  const size_t pack_at = bytes.find("\n\n") + 2;
  expect_refused(bytes.substr(0, pack_at), "expected a packfile");
  expect_refused(bytes.substr(0, pack_at + 20), "cut short");
  expect_refused(bytes.substr(0, pack_at + (bytes.size() - pack_at) / 2), "packfile");
  expect_refused(bytes.substr(0, bytes.size() - 1), "packfile");
  std::string damaged = bytes;
  damaged[pack_at + (bytes.size() - pack_at) / 2] ^= 0x40;
  expect_refused(damaged, "packfile");
}

TEST_F(BundleTest, AThinBundleIsRefusedWithHowToMakeAWholeOne) {
  expect_refused(bundle("main~1..main"),
                 "the bundle needs commits it does not carry (" + rev("main~1"));
  expect_refused(bundle("main~1..main"), "git bundle create FILE --all");
}

TEST_F(BundleTest, LimitsStopBigBundles) {
  const std::string bytes = bundle("--all");
  BundleLimits small_bundle;
  small_bundle.max_bundle_bytes = 100;
  expect_refused(bytes, "at most 100 are accepted", small_bundle);
  BundleLimits few_objects;
  few_objects.max_objects = 3;
  expect_refused(bytes, "objects; at most 3 are accepted", few_objects);
  BundleLimits few_refs;
  few_refs.max_refs = 2;
  expect_refused(bytes, "more than 2 refs", few_refs);
  BundleLimits short_header;
  short_header.max_header_bytes = 64;
  expect_refused(bytes, "within its first 64 bytes", short_header);
}

TEST_F(BundleTest, BadRefNamesInAHandMadeHeaderAreRefused) {
  const std::string pack = real_pack();
  const std::string head = rev("HEAD");
  auto with_refs = [&](const std::string& lines) {
    return "# v2 git bundle\n" + lines + "\n" + pack;
  };
  expect_refused(with_refs(head + " refs/heads/../../x\n"), "not a valid git ref name");
  expect_refused(with_refs(head + " refs/heads/a\x01"
                                  "b\n"),
                 "\"refs/heads/a\\x01b\"");
  expect_refused(with_refs(head + " refs/heads/x.lock\n"), "not a valid git ref name");
  expect_refused(with_refs(head + " refs/heads//x\n"), "not a valid git ref name");
  expect_refused(with_refs(head + " refs/heads/a\nb\n"), "line 3: expected \"<40 hex digits>");
  expect_refused(with_refs(head + " refs/heads/a\n" + head + " refs/heads/a\n"), "appears twice");
  expect_refused(with_refs("nothex refs/heads/a\n"), "line 2");
  expect_refused(with_refs(head + " refs/remotes/x\n"), "no branch, tag or HEAD to import");
}

TEST_F(BundleTest, ForeignRefsAreLeftOut) {
  const std::string head = rev("HEAD");
  const std::string bytes = "# v2 git bundle\n" + head + " refs/remotes/origin/x\n" + head +
                            " refs/heads/main\n\n" + real_pack();
  auto imported = import_bundle(bytes, bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->left_out, std::vector<std::string>{"refs/remotes/origin/x"});
  EXPECT_EQ(imported->refs.count("refs/remotes/origin/x"), 0u);
  EXPECT_FALSE(Repository::open(bare_)->resolve("refs/remotes/origin/x").ok());
}

TEST_F(BundleTest, RefsMustNameCommitsThePackHolds) {
  const std::string pack = real_pack();
  auto with_refs = [&](const std::string& lines) {
    return "# v2 git bundle\n" + lines + "\n" + pack;
  };
  expect_refused(with_refs(rev("HEAD:README") + " refs/heads/blob\n"), "names a blob");
  expect_refused(with_refs(rev("HEAD:README") + " refs/tags/blob\n"), "names a blob");
  expect_refused(with_refs(rev("HEAD^{tree}") + " HEAD\n"), "names a tree");
  expect_refused(with_refs(rev("refs/tags/v1") + " refs/heads/tagged\n"), "expected a commit");
  expect_refused(with_refs(std::string(40, 'a') + " refs/heads/main\n"),
                 "which the bundle's packfile does not hold");
}

TEST_F(BundleTest, APackMissingWhatItsCommitsNameIsRefused) {
  // A valid pack of the head commit alone: its tree and parent are nowhere.
  const fs::path pack = root_ / "commit-only.pack";
  const std::string in = "git -C " + origin_.string() + " ";
  ASSERT_EQ(
      std::system(
          (in + "rev-parse HEAD | " + in + "pack-objects -q --stdout > " + pack.string()).c_str()),
      0);
  expect_refused("# v2 git bundle\n" + rev("HEAD") + " refs/heads/main\n\n" + read(pack),
                 "packfile");
}

// A pack of one object: `object_header`, then a zlib stream of one stored block holding
// `data` (its checksum left wrong: the sizes are refused before anything reads it).
std::string one_object_pack(const std::string& object_header, const std::string& data) {
  std::string pack = std::string("PACK\0\0\0\x02\0\0\0\x01", 12) + object_header;
  const auto length = static_cast<uint16_t>(data.size());
  pack += std::string("\x78\x01\x01", 3);
  for (uint16_t half : {length, static_cast<uint16_t>(~length)}) {
    pack += static_cast<char>(half & 0xff);
    pack += static_cast<char>(half >> 8);
  }
  return pack + data + std::string(4, '\0') + std::string(20, '\0');
}

TEST_F(BundleTest, PacksThatWouldUnpackHugeAreRefusedBeforeIndexing) {
  const std::string header = "# v2 git bundle\n" + rev("HEAD") + " refs/heads/main\n\n";
  // A blob declaring 1 GiB (type 3, size 2^30 in the varint).
  expect_refused(header + one_object_pack(std::string("\xb0\x80\x80\x80\x20", 5), "x"),
                 "an object of 1073741824 bytes");
  // A blob declaring 10 bytes whose stream inflates to 100.
  expect_refused(header + one_object_pack("\x3a", std::string(100, 'z')),
                 "longer than it declares");
  // A 12-byte delta (type 7, base id) whose result would be 1 TiB: a copy loop over its base
  // would fill it, in the indexer's memory.
  const std::string delta = std::string("\x05\x80\x80\x80\x80\x80\x20", 7) + "pad..";
  expect_refused(header + one_object_pack("\x7c" + std::string(20, '\x11'), delta),
                 "an object of 1099511627776 bytes");
  BundleLimits small_total;
  small_total.max_inflated_bytes = 100;
  expect_refused(bundle("--all"), "more than 100 bytes unpacked", small_total);
  BundleLimits small_object;
  small_object.max_object_bytes = 10;
  expect_refused(bundle("--all"), "at most 10 are accepted", small_object);
}

TEST_F(BundleTest, CapabilitiesOtherThanSha1AreRefusedByName) {
  const std::string refs = rev("HEAD") + " refs/heads/main\n\n" + real_pack();
  expect_refused("# v3 git bundle\n@object-format=sha256\n" + refs, "@object-format=sha256");
  expect_refused("# v3 git bundle\n@filter=blob:none\n" + refs, "a filtered bundle");
  expect_refused("# v3 git bundle\n@shiny=yes\n" + refs, "unknown capability \"@shiny=yes\"");
  expect_refused("# v2 git bundle\n@object-format=sha1\n" + refs, "out of place");
  auto sha1 = import_bundle("# v3 git bundle\n@object-format=sha1\n" + refs, bare_);
  EXPECT_TRUE(sha1.ok()) << sha1.error().message;
}

TEST_F(BundleTest, HooksOfTheSourceNeverArrive) {
  write(origin_ / ".git/hooks/post-checkout", "#!/bin/sh\ntouch /tmp/agentd-bundle-hook\n");
  fs::permissions(origin_ / ".git/hooks/post-checkout", fs::perms::owner_all,
                  fs::perm_options::add);
  auto imported = import_bundle(bundle("--all"), bare_);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  for (const auto& entry : fs::recursive_directory_iterator(bare_)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(entry.status().permissions() & fs::perms::owner_exec, fs::perms::none)
        << entry.path() << " is executable";
  }
  EXPECT_FALSE(fs::exists(bare_ / "hooks/post-checkout"));
}

TEST_F(BundleTest, AnExistingDirectoryIsNeitherUsedNorRemoved) {
  write(bare_ / "precious", "mine\n");
  auto imported = import_bundle(bundle("--all"), bare_);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().message.find("exists already"), std::string::npos)
      << imported.error().message;
  EXPECT_EQ(read(bare_ / "precious"), "mine\n");
}

}  // namespace
}  // namespace repo
