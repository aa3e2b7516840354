// docs/policies.md cannot drift from the code: every json example in it is loaded (and the
// error examples must print exactly what the page shows), and its field tables must list
// exactly the schema's fields with the schema's defaults.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "policies/check_command.h"
#include "policies/schema.h"
#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

struct Block {
  std::string section;  // the "## " heading it is under
  std::string info;     // "json", "json caps", "text"...
  std::string text;
  int line = 0;
};

struct Page {
  std::vector<Block> blocks;
  // section -> rows of the field tables: pointer -> default cell
  std::map<std::string, std::map<std::string, std::string>> fields;
};

std::vector<std::string> table_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream stream(row);
  std::string cell;
  std::getline(stream, cell, '|');  // before the first '|'
  while (std::getline(stream, cell, '|')) {
    size_t first = cell.find_first_not_of(' ');
    size_t last = cell.find_last_not_of(' ');
    cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  return cells;
}

Page read_page() {
  std::ifstream in(AGENTD_SOURCE_DIR "/docs/policies.md");
  EXPECT_TRUE(in) << "docs/policies.md is missing";
  Page page;
  std::string line;
  std::string section;
  Block* open = nullptr;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (open != nullptr) {
      if (line == "```") {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
    } else if (line.rfind("```", 0) == 0) {
      page.blocks.push_back(Block{section, line.substr(3), "", number});
      open = &page.blocks.back();
    } else if (line.rfind("## ", 0) == 0) {
      section = line.substr(3);
    } else if (line.rfind("| `/", 0) == 0) {
      std::vector<std::string> cells = table_cells(line);
      std::string pointer = cells[0].substr(1, cells[0].size() - 2);
      EXPECT_EQ(page.fields[section].count(pointer), 0u) << pointer << " listed twice";
      page.fields[section][pointer] = cells.size() > 2 ? cells[2] : "";
    }
  }
  EXPECT_EQ(open, nullptr) << "unterminated code block";
  return page;
}

const Field* find_field(const Field& schema, const std::string& pointer) {
  const Field* field = &schema;
  std::stringstream stream(pointer.substr(1));
  std::string name;
  while (std::getline(stream, name, '/')) {
    const Field* child = nullptr;
    for (const Field& candidate : field->children) {
      if (candidate.name == name) child = &candidate;
    }
    if (child == nullptr) return nullptr;
    field = child;
  }
  return field;
}

void expect_table_matches(const std::map<std::string, std::string>& rows, const Field& schema,
                          const std::string& what) {
  std::set<std::string> documented;
  for (const auto& [pointer, default_cell] : rows) {
    documented.insert(pointer);
    const Field* field = find_field(schema, pointer);
    ASSERT_NE(field, nullptr) << what << ": " << pointer << " is documented but not in the schema";
    if (default_cell == "absent") {
      EXPECT_TRUE(field->default_value.is_null()) << what << ": " << pointer;
    } else if (default_cell == "—") {
      EXPECT_EQ(field->kind, FieldKind::object) << what << ": " << pointer;
      EXPECT_EQ(field->default_value, nlohmann::json::object()) << what << ": " << pointer;
    } else {
      ASSERT_GE(default_cell.size(), 2u) << what << ": " << pointer;
      nlohmann::json documented_default =
          nlohmann::json::parse(default_cell.substr(1, default_cell.size() - 2));
      EXPECT_EQ(documented_default, field->default_value) << what << ": " << pointer;
    }
  }
  for (const std::string& pointer : field_pointers(schema)) {
    EXPECT_EQ(documented.count(pointer), 1u) << what << ": " << pointer << " is not documented";
  }
}

TEST(Docs, FieldTablesListExactlyTheSchemaWithItsDefaults) {
  Page page = read_page();
  ASSERT_EQ(page.fields.count("Fields"), 1u);
  ASSERT_EQ(page.fields.count("Server caps"), 1u);
  expect_table_matches(page.fields["Fields"], policy_schema(), "policy fields");
  expect_table_matches(page.fields["Server caps"], caps_schema(), "server caps");
}

TEST(Docs, EveryJsonExampleLoads) {
  Page page = read_page();
  int policies = 0;
  for (size_t i = 0; i < page.blocks.size(); ++i) {
    const Block& block = page.blocks[i];
    SCOPED_TRACE("docs/policies.md:" + std::to_string(block.line) + " (" + block.info + ")");
    if (block.info == "json") {
      Validated<Policy> loaded = load_policy_text(block.text, "example.json");
      EXPECT_TRUE(loaded.ok()) << format(loaded.errors);
      ++policies;
    } else if (block.info == "json shape") {  // names files the test does not have
      Validated<Document> document = parse_document(block.text, "example.json");
      ASSERT_TRUE(document.ok()) << format(document.errors);
      Diagnostics errors;
      validate(*document.value, policy_schema(), errors);
      EXPECT_TRUE(errors.empty()) << format(errors);
    } else if (block.info == "json caps") {
      Validated<Document> document = parse_document(block.text, "caps.json");
      ASSERT_TRUE(document.ok()) << format(document.errors);
      EXPECT_TRUE(read_caps(*document.value).ok());
    } else if (block.info == "json invalid") {
      ASSERT_LT(i + 1, page.blocks.size());
      ASSERT_EQ(page.blocks[i + 1].info, "text") << "an invalid example needs its errors next";
      EXPECT_EQ(format(load_policy_text(block.text, "policy.json").errors),
                page.blocks[i + 1].text);
    } else {
      EXPECT_EQ(block.info.rfind("json", 0), std::string::npos) << "unknown example kind";
    }
  }
  EXPECT_GE(policies, 5);
}

TEST(Docs, TheClampingExampleShowsWhatCheckPrints) {
  Page page = read_page();
  const Block* caps = nullptr;
  for (const Block& block : page.blocks) {
    if (block.info == "json caps") caps = &block;
  }
  ASSERT_NE(caps, nullptr);
  const Block* shown = nullptr;
  for (const Block& block : page.blocks) {
    if (block.line > caps->line && block.info == "text" && shown == nullptr) shown = &block;
  }
  ASSERT_NE(shown, nullptr);
  TempDir dir;
  std::filesystem::path caps_file = dir.write("caps.json", caps->text);
  std::string name = shown->text.substr(0, shown->text.find(':'));
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_check_command({"--caps", caps_file.string(), name}, out, err), 0) << err.str();
  EXPECT_EQ(out.str().substr(0, out.str().find('{')), shown->text);
}

}  // namespace
}  // namespace policies::testing
